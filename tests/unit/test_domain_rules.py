"""Business rules that need no database: permissions, stock arithmetic, order validation and token checks."""

from __future__ import annotations

import re
from typing import Any, cast

import pytest
from sqlalchemy.orm import Session

from erp_models.enums import RoleName
from erp_models.errors import InvalidInput, PermissionDenied, Unauthenticated
from erp_models.inventory.services import StockPosition
from erp_models.sales.ordering import OrderLineInput, place_order
from erp_models.security.permissions import PERMISSIONS, ROLE_DESCRIPTIONS, ROLE_PERMISSIONS
from erp_models.security.services import Principal, authenticate, digest


class UntouchableSession:
    """A fake session for rules that must refuse input before any query runs."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the session was used ({name}) although the input should have been refused first")


NO_DATABASE = cast(Session, UntouchableSession())


def test_a_principal_without_a_permission_is_denied_and_told_which_one() -> None:
    clerk = Principal(username="li.na", role="warehouse", permissions=frozenset({"inventory.read"}))
    with pytest.raises(PermissionDenied) as caught:
        clerk.require("sales.cancel")
    assert caught.value.detail == {"permission": "sales.cancel"}
    assert "warehouse" in caught.value.message


def test_a_principal_holding_a_permission_may_proceed() -> None:
    clerk = Principal(username="li.na", role="warehouse", permissions=frozenset({"inventory.read"}))
    clerk.require("inventory.read")


def test_every_built_in_role_has_grants_and_a_description() -> None:
    assert set(ROLE_PERMISSIONS) == set(RoleName)
    assert set(ROLE_DESCRIPTIONS) == set(RoleName)


def test_the_admin_holds_every_permission() -> None:
    assert ROLE_PERMISSIONS[RoleName.ADMIN] == frozenset(PERMISSIONS)


def test_a_viewer_can_only_read_and_not_the_audit_log() -> None:
    viewer = ROLE_PERMISSIONS[RoleName.VIEWER]
    assert viewer
    assert all(permission.endswith(".read") for permission in viewer)
    assert "audit.read" not in viewer


@pytest.mark.parametrize("role", list(RoleName))
def test_every_granted_permission_exists(role: RoleName) -> None:
    assert ROLE_PERMISSIONS[role] <= set(PERMISSIONS)


@pytest.mark.parametrize(("on_hand", "reserved", "available"), [(10, 0, 10), (10, 4, 6), (5, 5, 0)])
def test_available_stock_is_what_is_on_hand_and_not_reserved(on_hand: int, reserved: int, available: int) -> None:
    assert StockPosition("SKU-1", "WH-1", on_hand, reserved).available == available


GOOD_LINE = OrderLineInput("SKU-1", 1, 9_900)


@pytest.mark.parametrize(
    ("external_id", "lines", "message"),
    [
        ("", [GOOD_LINE], "external_id must not be empty"),
        ("   ", [GOOD_LINE], "external_id must not be empty"),
        ("TM-1", [], "at least one line"),
        ("TM-1", [GOOD_LINE, OrderLineInput("SKU-2", 0, 9_900)], "line 2: qty must be positive"),
        ("TM-1", [OrderLineInput("SKU-1", -2, 9_900)], "line 1: qty must be positive"),
        ("TM-1", [GOOD_LINE, OrderLineInput("SKU-2", 1, -1)], "line 2: unit_price must not be negative"),
    ],
)
def test_an_invalid_order_is_refused_before_anything_is_written(
    external_id: str, lines: list[OrderLineInput], message: str
) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        place_order(NO_DATABASE, channel="tmall", external_id=external_id, customer_ref=None, lines=lines,
                    actor="sales")


def test_a_token_digest_is_the_same_64_hex_characters_every_time() -> None:
    first = digest("erp_0a1b2c3d_secret")
    assert first == digest("erp_0a1b2c3d_secret")
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert digest("erp_0a1b2c3d_secres") != first


@pytest.mark.parametrize(
    "token",
    ["garbage", "", "erp_0a1b2c3d", "xyz_0a1b2c3d_secret", "erp_0a1b2c_secret", "erp_0a1b2c3d9_secret"],
)
def test_a_malformed_token_is_rejected_without_a_database_lookup(token: str) -> None:
    with pytest.raises(Unauthenticated, match="malformed"):
        authenticate(NO_DATABASE, token)
