"""The sales API as a channel connector and the warehouse use it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.api_builders import order_body, stocked_sku


def stock(api: TestClient, headers: dict[str, str], sku: str) -> dict[str, int]:
    [row] = api.get(f"/api/v1/stock/{sku}", headers=headers).json()
    return {k: row[k] for k in ("on_hand", "reserved", "available")}


def test_placing_an_order_reserves_its_stock(api: TestClient, admin: dict[str, str]) -> None:
    sku, _ = stocked_sku(api, admin, 10)
    placed = api.post("/api/v1/sales-orders", json=order_body(sku, 3), headers=admin)
    assert placed.status_code == 201
    assert placed.json()["status"] == "placed"
    assert stock(api, admin, sku) == {"on_hand": 10, "reserved": 3, "available": 7}


def test_a_replayed_channel_order_returns_the_same_order_with_200(api: TestClient, admin: dict[str, str]) -> None:
    sku, _ = stocked_sku(api, admin, 10)
    body = order_body(sku, 2)
    first = api.post("/api/v1/sales-orders", json=body, headers=admin)
    again = api.post("/api/v1/sales-orders", json=body, headers=admin)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert stock(api, admin, sku)["reserved"] == 2


def test_insufficient_stock_is_409_and_reserves_nothing(api: TestClient, admin: dict[str, str]) -> None:
    plenty, _ = stocked_sku(api, admin, 10)
    scarce, _ = stocked_sku(api, admin, 1)
    body = order_body(plenty, 4)
    body["lines"] = [*body["lines"], {"sku": scarce, "qty": 2, "unit_price": 100}]  # type: ignore[list-item]
    refused = api.post("/api/v1/sales-orders", json=body, headers=admin)
    assert refused.status_code == 409
    assert refused.json()["error"] == "insufficient_stock"
    assert stock(api, admin, plenty)["reserved"] == 0
    assert stock(api, admin, scarce)["reserved"] == 0


def test_an_order_can_be_read_back_with_its_lines(api: TestClient, admin: dict[str, str]) -> None:
    sku, warehouse = stocked_sku(api, admin, 5)
    order_id = api.post("/api/v1/sales-orders", json=order_body(sku, 2), headers=admin).json()["id"]
    order = api.get(f"/api/v1/sales-orders/{order_id}", headers=admin).json()
    assert order["total"] == 2 * 9900
    assert order["lines"] == [{"line_no": 1, "sku": sku, "warehouse": warehouse, "qty": 2, "qty_shipped": 0,
                               "qty_returned": 0, "unit_price": 9900}]


def test_orders_are_listed_newest_first_filtered_and_paginated(api: TestClient, admin: dict[str, str]) -> None:
    sku, _ = stocked_sku(api, admin, 10)
    customer = order_body(sku)["customer_ref"]
    bodies = [order_body(sku) | {"customer_ref": customer} for _ in range(3)]
    ids = [api.post("/api/v1/sales-orders", json=body, headers=admin).json()["id"] for body in bodies]
    page = api.get("/api/v1/sales-orders", params={"customer_ref": customer, "limit": 2}, headers=admin).json()
    assert [o["id"] for o in page["items"]] == ids[::-1][:2]
    assert (page["total"], page["next_offset"]) == (3, 2)
    rest = api.get("/api/v1/sales-orders", params={"customer_ref": customer, "limit": 2, "offset": 2},
                   headers=admin).json()
    assert [o["id"] for o in rest["items"]] == [ids[0]] and rest["next_offset"] is None


def test_the_order_lifecycle_pay_ship_return(api: TestClient, admin: dict[str, str]) -> None:
    sku, _ = stocked_sku(api, admin, 10)
    order_id = api.post("/api/v1/sales-orders", json=order_body(sku, 4), headers=admin).json()["id"]
    paid = api.post(f"/api/v1/sales-orders/{order_id}/payments",
                    json={"amount": 4 * 9900, "method": "alipay"}, headers=admin)
    assert paid.json() == {"status": "paid"}
    shipped = api.post(f"/api/v1/sales-orders/{order_id}/shipments", json={"carrier": "顺丰"}, headers=admin)
    assert shipped.json() == {"status": "shipped"}
    assert stock(api, admin, sku) == {"on_hand": 6, "reserved": 0, "available": 6}
    returned = api.post(f"/api/v1/sales-orders/{order_id}/returns", headers=admin, json={
        "lines": [{"line_no": 1, "qty": 1, "disposition": "restock"}, {"line_no": 1, "qty": 1, "disposition": "scrap"}],
        "reason": "七天无理由退货"})
    assert returned.status_code == 201
    assert stock(api, admin, sku)["on_hand"] == 7


def test_cancelling_releases_the_reservation_and_cannot_happen_twice(api: TestClient, admin: dict[str, str]) -> None:
    sku, _ = stocked_sku(api, admin, 3)
    order_id = api.post("/api/v1/sales-orders", json=order_body(sku, 3), headers=admin).json()["id"]
    assert api.post(f"/api/v1/sales-orders/{order_id}/cancel", headers=admin).json()["status"] == "cancelled"
    assert stock(api, admin, sku)["available"] == 3
    again = api.post(f"/api/v1/sales-orders/{order_id}/cancel", headers=admin)
    assert (again.status_code, again.json()["error"]) == (409, "invalid_transition")


def test_the_channel_webhook_ingests_in_channel_skus(api: TestClient, admin: dict[str, str]) -> None:
    sku, _ = stocked_sku(api, admin, 5)
    listing = {"channel_sku": f"TB-{sku}", "sku": sku}
    assert api.put("/api/v1/channels/tmall/listings", json=listing, headers=admin).status_code == 204
    body = {"external_id": f"TM-{sku}", "lines": [{"channel_sku": f"TB-{sku}", "qty": 2, "unit_price": 8800}]}
    first = api.post("/api/v1/channels/tmall/orders", json=body, headers=admin)
    again = api.post("/api/v1/channels/tmall/orders", json=body, headers=admin)
    assert (first.status_code, again.status_code) == (201, 200)
    assert stock(api, admin, sku)["reserved"] == 2
