"""Clean transformed batches of every migration entity, as the gate receives them, for tests to spoil."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

FIRST_LABEL = 1000  # batches keep their source-row labels, so quarantine must report labels, not positions

PEOPLE = ["张伟", "李娜", "王芳", "刘洋", "陈静"]
PLACES = [("浙江省", "杭州市", "西湖区"), ("广东省", "深圳市", "南山区"), ("上海市", "上海市", "浦东新区")]


def _place(i: int) -> tuple[str, str, str]:
    return PLACES[i % len(PLACES)]


def _supplier(i: int) -> dict[str, Any]:
    province, city, district = _place(i)
    return {"code": f"SUP-{i:03d}", "name": f"{city}供应商{i}号", "contact_name": PEOPLE[i % 5],
            "phone": f"1380013{i:04d}", "email": f"sales{i}@supplier.cn", "province": province, "city": city,
            "district": district, "address": f"{district}科技路{i}号", "payment_terms_days": 30}


def _customer(i: int) -> dict[str, Any]:
    province, city, district = _place(i)
    return {"code": f"CUS-{i:05d}", "name": PEOPLE[i % 5], "phone": f"1391234{i:04d}", "email": None,
            "province": province, "city": city, "district": district, "address": f"{district}文三路{i}号",
            "country": "中国"}


def _ordered_at(i: int) -> datetime:
    return datetime(2025, 11, 11, tzinfo=UTC) + timedelta(minutes=i)


ROWS: dict[str, Callable[[int], dict[str, Any]]] = {
    "suppliers": _supplier,
    "categories": lambda i: {"code": f"CAT-{i}", "name": ["服装", "男装", "女装"][i % 3],
                             "parent_code": None if i == 0 else "CAT-0"},
    "products": lambda i: {"code": f"P-{i:04d}", "name": f"纯棉T恤 {i}", "category_code": "CAT-1",
                           "brand": "优衣库" if i % 2 else None, "description": "100% 棉，夏季款"},
    "skus": lambda i: {"code": f"SKU-{i:05d}", "product_code": "P-0001", "barcode": f"69012345{i:05d}",
                       "spec": f"颜色:黑色;尺码:{['S', 'M', 'L'][i % 3]}", "weight_g": 250, "list_price": 9900,
                       "currency": "CNY"},
    "warehouses": lambda i: {"code": f"WH-{i}", "name": f"{_place(i)[1]}仓", "province": _place(i)[0],
                             "city": _place(i)[1]},
    "opening_stock": lambda i: {"sku_code": f"SKU-{i:05d}", "warehouse_code": "WH-0", "qty": 10 + i},
    "customers": _customer,
    "channels": lambda i: {"code": f"market_{i}", "name": f"市场{i}"},
    "payment_methods": lambda i: {"code": f"wallet_{i}", "name": f"钱包{i}"},
    "sales_orders": lambda i: {"channel": ["tmall", "jd", "pinduoduo", "douyin", "webshop"][i % 5],
                               "external_id": f"{2025111100000 + i}", "customer_code": f"CUS-{i:05d}",
                               "status": "paid", "ordered_at": _ordered_at(i), "currency": "CNY", "total": 19800,
                               "freight": 1000 * (i % 2), "ship_to_name": PEOPLE[i % 5],
                               "ship_to_phone": f"1391234{i:04d}", "ship_country": "中国",
                               "ship_province": _place(i)[0], "ship_city": _place(i)[1],
                               "ship_district": _place(i)[2], "ship_address": f"{_place(i)[2]}文三路{i}号",
                               "ship_postcode": "310000"},
    "sales_order_lines": lambda i: {"order_key": f"SO-{i // 2}", "line_no": i % 2 + 1, "sku_code": f"SKU-{i:05d}",
                                    "qty": 2, "unit_price": 9900},
    "payments": lambda i: {"order_key": f"SO-{i}", "method": ["alipay", "wechat_pay", "unionpay"][i % 3],
                           "kind": "payment", "amount": 19800, "paid_at": _ordered_at(i), "external_ref": f"PAY{i}",
                           "currency": "CNY"},
    "shipments": lambda i: {"order_key": f"SO-{i}", "warehouse_code": "WH-0" if i % 2 else None,
                            "carrier": ["顺丰", "中通", "京东物流"][i % 3], "tracking_no": f"SF{i:010d}",
                            "shipped_at": _ordered_at(i) + timedelta(hours=4),
                            "delivered_at": _ordered_at(i) + timedelta(days=2) if i % 3 else None},
    "purchase_orders": lambda i: {"number": f"PO-2025-{i:04d}", "supplier_code": "SUP-000", "warehouse_code": "WH-0",
                                  "status": "approved", "ordered_at": _ordered_at(i), "total": 500000,
                                  "currency": "CNY"},
    "purchase_order_lines": lambda i: {"po_key": f"PO-{i // 2}", "line_no": i % 2 + 1, "sku_code": f"SKU-{i:05d}",
                                       "qty_ordered": 100, "qty_received": 40 * (i % 3), "unit_cost": 4500},
}


def clean_batch(entity: str, rows: int = 6) -> pd.DataFrame:
    """A batch that passes every expectation of ``entity``, indexed from FIRST_LABEL."""
    records = [{"legacy_key": f"{entity}:{i}", **ROWS[entity](i)} for i in range(rows)]
    return pd.DataFrame(records, index=range(FIRST_LABEL, FIRST_LABEL + rows))
