"""What a migration can load into: each target's fields, types, references and reconciled sums."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from erp_models.enums import LoadStrategy

Kind = Literal["text", "int", "money", "datetime", "date", "bool"]


@dataclass(frozen=True)
class Field:
    """One column of a target, as the transformed frame and the staging table carry it."""

    name: str
    kind: Kind = "text"
    required: bool = False
    max_length: int | None = None
    column: str | None = None  # the ERP column, when it differs from the name

    @property
    def target_column(self) -> str:
        return self.column or self.name


@dataclass(frozen=True)
class Ref:
    """A field that names another record: by its code column, or by its legacy key in another entity."""

    field: str
    column: str  # the ERP foreign-key column it fills
    table: str
    by: str = "code"  # a column of `table`, or "legacy" to look up the legacy-key map of `entity`
    entity: str | None = None
    required: bool = True


@dataclass(frozen=True)
class Target:
    name: str
    table: str
    fields: tuple[Field, ...]
    refs: tuple[Ref, ...] = ()
    natural_key: tuple[str, ...] = ()  # ERP columns that find an existing row the legacy map does not know
    sums: tuple[str, ...] = ()  # quantities and money reconciled as totals
    constants: dict[str, str] = field(default_factory=dict)  # ERP columns set to a SQL literal
    strategy: LoadStrategy = LoadStrategy.UPSERT

    @property
    def posts_to_ledger(self) -> bool:
        """Posted to the stock ledger as movements (opening balances), not upserted row by row."""
        return self.strategy is LoadStrategy.LEDGER_POSTING

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _f(name: str, kind: Kind = "text", required: bool = False, max_length: int | None = 200,
       column: str | None = None) -> Field:
    return Field(name, kind, required, max_length if kind == "text" else None, column)


CODE = _f("code", required=True, max_length=64)
NAME = _f("name", required=True)
# Where an order goes: the receiver and the address, all optional.
SHIP_TO = (_f("ship_to_name"), _f("ship_to_phone", max_length=32), _f("ship_country", max_length=64),
           _f("ship_province", max_length=64), _f("ship_city", max_length=64), _f("ship_district", max_length=64),
           _f("ship_address", max_length=500), _f("ship_postcode", max_length=16))

TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("suppliers", "suppliers", (CODE, NAME, _f("contact_name", max_length=64), _f("phone", max_length=32),
                                      _f("email", max_length=254), _f("province", max_length=64),
                                      _f("city", max_length=64), _f("district", max_length=64),
                                      _f("address", max_length=500), _f("payment_terms_days", "int")),
           natural_key=("code",)),
    Target("categories", "categories", (CODE, NAME, _f("parent_code", max_length=64)),
           refs=(Ref("parent_code", "parent_id", "categories", required=False),), natural_key=("code",)),
    Target("products", "products", (CODE, NAME, _f("category_code", required=True, max_length=64),
                                    _f("brand", max_length=100), _f("description", max_length=None)),
           refs=(Ref("category_code", "category_id", "categories"),), natural_key=("code",)),
    Target("skus", "skus", (CODE, _f("product_code", required=True, max_length=64), _f("barcode", max_length=32),
                            _f("spec"), _f("weight_g", "int"), _f("list_price", "money", required=True),
                            _f("currency", max_length=3)),
           refs=(Ref("product_code", "product_id", "products"),), natural_key=("code",), sums=("list_price",)),
    Target("warehouses", "warehouses", (CODE, NAME, _f("province", max_length=64), _f("city", max_length=64)),
           natural_key=("code",)),
    Target("customers", "customers", (CODE, _f("name", required=True), _f("phone", max_length=32),
                                      _f("email", max_length=254), _f("province", max_length=64),
                                      _f("city", max_length=64), _f("district", max_length=64),
                                      _f("address", max_length=500), _f("country", max_length=64)),
           natural_key=("code",)),
    Target("opening_stock", "stock_ledger", (_f("sku_code", required=True, max_length=64),
                                             _f("warehouse_code", required=True, max_length=64),
                                             _f("qty", "int", required=True, column="qty_delta")),
           refs=(Ref("sku_code", "sku_id", "skus"), Ref("warehouse_code", "warehouse_id", "warehouses")),
           sums=("qty",), constants={"reason": "'opening'", "ref_type": "'migration'"},
           strategy=LoadStrategy.LEDGER_POSTING),
    # Reference data an admin can also add through the API; the seeded rows are adopted by their code.
    Target("channels", "channels", (_f("code", required=True, max_length=32), NAME), natural_key=("code",)),
    Target("payment_methods", "payment_methods", (_f("code", required=True, max_length=32), NAME),
           natural_key=("code",)),
    Target("sales_orders", "sales_orders", (_f("channel", required=True, max_length=32),
                                            _f("external_id", required=True, max_length=64),
                                            _f("customer_code", max_length=64), _f("status", max_length=32),
                                            _f("ordered_at", "datetime", required=True), _f("currency", max_length=3),
                                            _f("total", "money", required=True), _f("freight", "money"),
                                            *SHIP_TO),
           refs=(Ref("channel", "channel_id", "channels"), Ref("customer_code", "customer_id", "customers",
                                                                 required=False)),
           natural_key=("channel_id", "external_id"), sums=("total", "freight"),
           constants={"origin": "'migration'"}),
    Target("sales_order_lines", "sales_order_lines", (_f("order_key", required=True), _f("line_no", "int", True),
                                                      _f("sku_code", required=True, max_length=64),
                                                      _f("qty", "int", required=True),
                                                      _f("unit_price", "money", required=True)),
           refs=(Ref("order_key", "sales_order_id", "sales_orders", by="legacy", entity="sales_orders"),
                 Ref("sku_code", "sku_id", "skus")),
           natural_key=("sales_order_id", "line_no"), sums=("qty", "unit_price")),
    Target("payments", "payments", (_f("order_key", required=True), _f("method", required=True, max_length=32),
                                    _f("kind", max_length=32), _f("amount", "money", required=True),
                                    _f("currency", max_length=3), _f("paid_at", "datetime", required=True),
                                    _f("external_ref", max_length=128)),
           refs=(Ref("order_key", "sales_order_id", "sales_orders", by="legacy", entity="sales_orders"),
                 Ref("method", "payment_method_id", "payment_methods")),
           sums=("amount",)),
    # Historical shipments: a header only, with no lines, so loading one moves no stock (see docs).
    Target("shipments", "shipments", (_f("order_key", required=True), _f("warehouse_code", max_length=64),
                                      _f("carrier", required=True, max_length=32), _f("tracking_no", max_length=64),
                                      _f("shipped_at", "datetime", required=True), _f("delivered_at", "datetime")),
           refs=(Ref("order_key", "sales_order_id", "sales_orders", by="legacy", entity="sales_orders"),
                 Ref("warehouse_code", "warehouse_id", "warehouses", required=False))),
    Target("purchase_orders", "purchase_orders", (_f("number", required=True, max_length=64),
                                                  _f("supplier_code", required=True, max_length=64),
                                                  _f("warehouse_code", required=True, max_length=64),
                                                  _f("status", max_length=32), _f("ordered_at", "datetime", True),
                                                  _f("currency", max_length=3), _f("total", "money", required=True)),
           refs=(Ref("supplier_code", "supplier_id", "suppliers"), Ref("warehouse_code", "warehouse_id", "warehouses")),
           natural_key=("number",), sums=("total",)),
    Target("purchase_order_lines", "purchase_order_lines", (_f("po_key", required=True), _f("line_no", "int", True),
                                                            _f("sku_code", required=True, max_length=64),
                                                            _f("qty_ordered", "int", required=True),
                                                            _f("qty_received", "int"),
                                                            _f("unit_cost", "money", required=True)),
           refs=(Ref("po_key", "purchase_order_id", "purchase_orders", by="legacy", entity="purchase_orders"),
                 Ref("sku_code", "sku_id", "skus")),
           natural_key=("purchase_order_id", "line_no"), sums=("qty_ordered", "unit_cost")),
)}

# Fields that only name a reference: they are resolved to ids and not written as columns.
def stored_fields(target: Target) -> list[Field]:
    ref_fields = {r.field for r in target.refs}
    return [f for f in target.fields if f.name not in ref_fields]
