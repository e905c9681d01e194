"""Master data created through the API itself, with random codes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.builders import ref


def new_sku(api: TestClient, headers: dict[str, str], *, price: int = 9900) -> str:
    code = ref("SKU")
    body = {"code": code, "product_code": ref("P"), "product_name": "保温杯 500ml", "category_code": ref("C"),
            "category_name": "家居", "list_price": price}
    assert api.post("/api/v1/skus", json=body, headers=headers).status_code == 201
    return code


def new_warehouse(api: TestClient, headers: dict[str, str]) -> str:
    code = ref("WH")
    assert api.post("/api/v1/warehouses", json={"code": code, "name": "广州仓"}, headers=headers).status_code == 201
    return code


def stocked_sku(api: TestClient, headers: dict[str, str], qty: int) -> tuple[str, str]:
    sku, warehouse = new_sku(api, headers), new_warehouse(api, headers)
    body = {"sku": sku, "warehouse": warehouse, "delta": qty, "reason": "opening balance"}
    assert api.post("/api/v1/stock/adjustments", json=body, headers=headers).status_code == 201
    return sku, warehouse


def order_body(sku: str, qty: int = 1, *, external_id: str | None = None) -> dict[str, object]:
    return {"channel": "jd", "external_id": external_id or ref("JD"), "customer_ref": ref("buyer"),
            "lines": [{"sku": sku, "qty": qty, "unit_price": 9900}]}
