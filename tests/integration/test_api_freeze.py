"""The cutover's write freeze through the API: writes and webhooks get 503 with Retry-After, reads work,
and a marketplace's retry after the switch is accepted exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.integration.api_builders import order_body, stocked_sku
from tests.integration.builders import ref

Headers = dict[str, str]


@contextmanager
def frozen_writes(api: TestClient, admin: Headers) -> Iterator[None]:
    """Writes frozen by the admin inside the block, and open again after it whatever happened."""
    response = api.post("/api/v1/admin/freeze", json={"reason": "go-live", "retry_after_s": 30}, headers=admin)
    assert response.status_code == 200, response.text
    try:
        yield
    finally:
        assert api.post("/api/v1/admin/unfreeze", headers=admin).json()["frozen"] is False


@pytest.fixture
def new_sku_with_stock(api: TestClient, admin: Headers) -> str:
    return stocked_sku(api, admin, 10)[0]


def count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def webhook_order(api: TestClient, admin: Headers) -> tuple[str, dict[str, object]]:
    """A channel SKU mapped to a stocked SKU of ours, and a marketplace order for it."""
    sku, _ = stocked_sku(api, admin, 10)
    channel_sku = ref("TM-SKU")
    listing = {"channel_sku": channel_sku, "sku": sku}
    assert api.put("/api/v1/channels/tmall/listings", json=listing, headers=admin).status_code == 204
    body = {"external_id": ref("TM"), "lines": [{"channel_sku": channel_sku, "qty": 2, "unit_price": 9900}]}
    return sku, body


def assert_frozen(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"
    assert response.json()["error"] == "frozen"
    assert "go-live" in response.json()["detail"]


def test_a_webhook_order_refused_during_the_freeze_is_accepted_exactly_once_after_the_switch(
    api: TestClient, admin: Headers, migrated_engine: Engine
) -> None:
    sku, body = webhook_order(api, admin)
    with frozen_writes(api, admin):
        assert_frozen(api.post("/api/v1/channels/tmall/orders", json=body, headers=admin))
        assert_frozen(api.post("/api/v1/channels/tmall/orders", json=body, headers=admin))  # the marketplace retries
    orders = "SELECT count(*) FROM sales_orders WHERE external_id = :e"
    assert count(migrated_engine, orders, e=body["external_id"]) == 0

    accepted = api.post("/api/v1/channels/tmall/orders", json=body, headers=admin)
    replayed = api.post("/api/v1/channels/tmall/orders", json=body, headers=admin)
    assert (accepted.status_code, replayed.status_code) == (201, 200)
    assert accepted.json() == replayed.json()
    assert count(migrated_engine, orders, e=body["external_id"]) == 1
    [row] = api.get(f"/api/v1/stock/{sku}", headers=admin).json()
    assert row["reserved"] == 2


def test_during_a_freeze_writes_are_503_and_change_nothing_while_reads_work(
    api: TestClient, admin: Headers, migrated_engine: Engine, new_sku_with_stock: str
) -> None:
    sku = new_sku_with_stock
    orders_before = count(migrated_engine, "SELECT count(*) FROM sales_orders")
    events_before = count(migrated_engine, "SELECT count(*) FROM outbox_events")
    with frozen_writes(api, admin):
        assert_frozen(api.post("/api/v1/sales-orders", json=order_body(sku, 1), headers=admin))
        adjustment = {"sku": sku, "warehouse": "WH-NONE", "delta": 1, "reason": "count"}
        assert_frozen(api.post("/api/v1/stock/adjustments", json=adjustment, headers=admin))
        assert api.get(f"/api/v1/stock/{sku}", headers=admin).status_code == 200
        assert api.get("/api/v1/sales-orders", headers=admin).status_code == 200
        assert api.get("/health").json() == {"status": "ok"}
        status = api.get("/api/v1/admin/freeze", headers=admin).json()
        assert (status["frozen"], status["reason"], status["retry_after_s"]) == (True, "go-live", 30)
    assert count(migrated_engine, "SELECT count(*) FROM sales_orders") == orders_before
    assert count(migrated_engine, "SELECT count(*) FROM outbox_events") == events_before
    assert api.post("/api/v1/sales-orders", json=order_body(sku, 1), headers=admin).status_code == 201


def test_freezing_twice_keeps_the_first_freeze_and_unfreezing_when_open_is_harmless(
    api: TestClient, admin: Headers
) -> None:
    try:
        first = api.post("/api/v1/admin/freeze", json={"reason": "first"}, headers=admin).json()
        second = api.post("/api/v1/admin/freeze", json={"reason": "second", "retry_after_s": 5}, headers=admin)
        assert second.json() == first
        assert first["retry_after_s"] == 60
    finally:
        released = api.post("/api/v1/admin/unfreeze", headers=admin).json()
    assert released["frozen"] is False and released["released_at"] is not None
    assert api.post("/api/v1/admin/unfreeze", headers=admin).json() == {
        "frozen": False, "frozen_at": None, "frozen_by": None, "reason": None, "retry_after_s": None,
        "released_at": None, "released_by": None, "exempt_prefix": None}


def test_a_freeze_without_a_token_is_401_and_a_bad_retry_after_is_422(api: TestClient, admin: Headers) -> None:
    assert api.post("/api/v1/admin/freeze", json={}).status_code == 401
    assert api.post("/api/v1/admin/freeze", json={"retry_after_s": 0}, headers=admin).status_code == 422
    assert api.get("/api/v1/admin/freeze", headers=admin).json()["frozen"] is False


