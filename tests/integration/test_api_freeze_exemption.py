"""The smoke test's exemption from a freeze, through the API: only users whose name starts with the exempted
prefix write, and only until the exemption ends; everyone else still gets 503 `frozen`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from erp_models.cutover.smoke_data import new_tag, user_prefix
from erp_models.enums import RoleName
from erp_models.errors import InvalidInput
from erp_models.security.services import issue_token
from erp_models.system.freeze import allow_during_freeze, end_exemption
from erp_models.tagged_data import username
from tests.integration.api_builders import order_body, stocked_sku
from tests.integration.test_api_freeze import Headers, assert_frozen, count, frozen_writes


def bearer(engine: Engine, name: str) -> Headers:
    """Headers of a new sales clerk called `name` (committed: the app sees it)."""
    with Session(engine) as session:
        token = issue_token(session, username=name, role=RoleName.SALES.value, actor="tests").token
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def in_own_transaction(engine: Engine, work: Callable[[Session], object]) -> None:
    with Session(engine) as session:
        work(session)
        session.commit()


def test_during_a_freeze_only_the_exempted_smoke_users_write_and_only_until_the_exemption_ends(
    api: TestClient, admin: Headers, migrated_engine: Engine, token_for: Callable[[str], Headers]
) -> None:
    sku, _ = stocked_sku(api, admin, 10)
    tag = new_tag()
    smoke = bearer(migrated_engine, username(tag, "sales"))
    lookalike = bearer(migrated_engine, f"x-{username(tag, 'sales')}")  # holds the prefix, but not at the start
    clerk = token_for("sales")
    with frozen_writes(api, admin):
        in_own_transaction(migrated_engine, lambda s: allow_during_freeze(s, prefix=user_prefix(tag), by="tests"))
        assert api.get("/api/v1/admin/freeze", headers=admin).json()["exempt_prefix"] == user_prefix(tag)

        placed = api.post("/api/v1/sales-orders", json=order_body(sku, 1), headers=smoke)
        assert placed.status_code == 201, placed.text
        cancelled = api.post(f"/api/v1/sales-orders/{placed.json()['id']}/cancel", headers=smoke)  # a cached token
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        for other in (lookalike, clerk, admin):
            assert_frozen(api.post("/api/v1/sales-orders", json=order_body(sku, 1), headers=other))

        in_own_transaction(migrated_engine, lambda s: end_exemption(s, by="tests"))
        assert_frozen(api.post("/api/v1/sales-orders", json=order_body(sku, 1), headers=smoke))
        status = api.get("/api/v1/admin/freeze", headers=admin).json()
        assert (status["frozen"], status["exempt_prefix"]) == (True, None)
    orders = "SELECT count(*) FROM sales_orders o JOIN sales_order_lines l ON l.sales_order_id = o.id JOIN skus k " \
             "ON k.id = l.sku_id WHERE k.code = :sku"
    assert count(migrated_engine, orders, sku=sku) == 1


def test_without_an_active_freeze_an_exemption_is_refused_and_writes_stay_open_to_all(
    api: TestClient, admin: Headers, migrated_engine: Engine
) -> None:
    with Session(migrated_engine) as session, pytest.raises(InvalidInput, match="not frozen"):
        allow_during_freeze(session, prefix=user_prefix(new_tag()), by="tests")
    assert api.get("/api/v1/admin/freeze", headers=admin).json() == {
        "frozen": False, "frozen_at": None, "frozen_by": None, "reason": None, "retry_after_s": None,
        "released_at": None, "released_by": None, "exempt_prefix": None}
    sku, _ = stocked_sku(api, admin, 1)
    assert api.post("/api/v1/sales-orders", json=order_body(sku, 1), headers=admin).status_code == 201
