"""`generate`: write the synthetic legacy export (CSV files with injected defects) and its mapping into a folder."""

from __future__ import annotations

import random
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from erpops.sample_data.dirt import HANDLING, KINDS, Dirt, Sink
from erpops.sample_data.master import (
    write_catalogue,
    write_categories,
    write_customers,
    write_opening_stock,
    write_suppliers,
    write_warehouses,
)
from erpops.sample_data.orders import OrderSinks, write_orders, write_purchase_orders
from erpops.sample_data.vocab import SUPPLIERS, WAREHOUSES

MAX_ORDERS = 5_000_000
MAX_DIRTY_RATE = 0.5
MAPPING_FILE = "mapping.yaml"

# File name -> (encoding, header), in the order they are written and listed.
FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "suppliers.csv": ("gbk", ("供应商编号", "供应商名称", "联系人", "联系电话", "省份", "城市", "账期天数")),
    "categories.csv": ("utf-8", ("category_code", "category_name", "parent_code")),
    "products.csv": ("utf-8-sig", ("product_code", "product_name", "category_code", "brand")),
    "skus.csv": ("utf-8", ("sku_code", "product_code", "barcode", "spec", "weight_g", "list_price")),
    "warehouses.csv": ("utf-8", ("warehouse_code", "warehouse_name", "province", "city")),
    "opening_stock.csv": ("utf-8", ("sku_code", "warehouse_code", "quantity")),
    "customers.csv": ("utf-8", ("客户编号", "客户姓名", "手机号", "省", "市", "区", "详细地址")),
    "orders.csv": ("utf-8", ("订单号", "平台", "客户编号", "下单时间", "订单状态", "订单金额", "updated_at")),
    "order_lines.csv": ("utf-8", ("订单号", "行号", "商品编码", "数量", "单价")),
    "payments.csv": ("utf-8", ("订单号", "支付方式", "支付金额", "支付时间", "支付流水号")),
    "purchase_orders.csv": ("utf-8", ("po_number", "supplier_code", "warehouse_code", "status", "order_date",
                                      "total_amount")),
    "purchase_order_lines.csv": ("utf-8", ("po_number", "line_no", "sku_code", "qty_ordered", "qty_received",
                                           "unit_cost")),
}


@dataclass
class SampleSummary:
    """What `generate` wrote: rows per file (without the header) and defect rows per kind and per file."""

    out_dir: Path
    mapping: Path
    orders: int
    seed: int
    dirty_rate: float
    files: dict[str, int] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)
    defects: dict[str, int] = field(default_factory=dict)
    defects_by_file: dict[str, dict[str, int]] = field(default_factory=dict)
    handling: dict[str, str] = field(default_factory=lambda: dict(HANDLING))  # what the mapping does per kind

    def to_json(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "mapping": str(self.mapping), "orders": self.orders,
                "seed": self.seed, "dirty_rate": self.dirty_rate,
                "files": {name: {"rows": rows, "encoding": self.encodings[name],
                                 "defects": self.defects_by_file.get(name, {})} for name, rows in self.files.items()},
                "defects": self.defects, "handling": self.handling}


def sizes(orders: int) -> dict[str, int]:
    """How many customers, SKUs, suppliers and purchase orders go with `orders` orders."""
    return {"customers": max(1, round(orders / 3)), "skus": max(20, orders // 10),
            "suppliers": min(len(SUPPLIERS), 5 + orders // 100), "purchase_orders": max(1, round(orders / 20))}


def mapping_template() -> bytes:
    """The mapping for the generated files, as shipped next to this module."""
    return resources.files("erpops.sample_data").joinpath(MAPPING_FILE).read_bytes()


def generate(out_dir: Path, *, orders: int = 200, seed: int = 7, dirty_rate: float = 0.02) -> SampleSummary:
    """Write the export and `mapping.yaml` into `out_dir` (created if needed; only these files are overwritten).

    The same arguments give byte-identical files. Each defect kind hits about `dirty_rate` of the rows of
    the files where it makes sense (at most 1/k of a file's rows when k kinds share it).
    """
    if not 1 <= orders <= MAX_ORDERS:
        raise ValueError(f"orders must be between 1 and {MAX_ORDERS:,}, not {orders}")
    if not 0 <= dirty_rate <= MAX_DIRTY_RATE:
        raise ValueError(f"dirty_rate must be between 0 and {MAX_DIRTY_RATE}, not {dirty_rate}")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    dirt = Dirt(dirty_rate, seed)
    size = sizes(orders)
    with ExitStack() as stack:
        sinks: dict[str, Sink] = {}
        for name, (encoding, header) in FILES.items():
            sinks[name] = Sink(out_dir / name, encoding, header)
            stack.callback(sinks[name].close)
        suppliers = write_suppliers(sinks["suppliers.csv"], rng, size["suppliers"])
        write_categories(sinks["categories.csv"])
        skus = write_catalogue(sinks["products.csv"], sinks["skus.csv"], rng, dirt, size["skus"])
        write_warehouses(sinks["warehouses.csv"])
        write_opening_stock(sinks["opening_stock.csv"], rng, dirt, skus)
        write_customers(sinks["customers.csv"], rng, dirt, size["customers"])
        write_orders(OrderSinks(sinks["orders.csv"], sinks["order_lines.csv"], sinks["payments.csv"]), rng, dirt,
                     orders, size["customers"], skus)
        write_purchase_orders(sinks["purchase_orders.csv"], sinks["purchase_order_lines.csv"], rng, dirt,
                              size["purchase_orders"], suppliers, [w[0] for w in WAREHOUSES], skus)
    mapping = out_dir / MAPPING_FILE
    mapping.write_bytes(mapping_template())
    by_file = {name: {kind: counts[kind] for kind in KINDS if counts[kind]} for name, counts in dirt.counts.items()}
    return SampleSummary(
        out_dir=out_dir, mapping=mapping, orders=orders, seed=seed, dirty_rate=dirty_rate,
        files={name: sink.rows for name, sink in sinks.items()},
        encodings={name: sink.encoding for name, sink in sinks.items()},
        defects={kind: sum(counts[kind] for counts in dirt.counts.values()) for kind in KINDS},
        defects_by_file={name: by_file[name] for name in FILES if by_file.get(name)},
    )
