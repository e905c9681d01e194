"""The realistic user mix of the ERP API, one module per kind of user, and `mix()` that binds it to a run."""

from __future__ import annotations

from collections.abc import Mapping

from loadtests.config import Fixture, UserKind
from loadtests.users.base import ErpUser
from loadtests.users.connector import ConnectorUser
from loadtests.users.manager import ManagerUser
from loadtests.users.purchaser import PurchaserUser
from loadtests.users.shopper import ShopperUser
from loadtests.users.warehouse import WarehouseUser

KINDS: dict[UserKind, type[ErpUser]] = {
    UserKind.CONNECTOR: ConnectorUser, UserKind.SHOPPER: ShopperUser, UserKind.WAREHOUSE: WarehouseUser,
    UserKind.PURCHASER: PurchaserUser, UserKind.MANAGER: ManagerUser,
}


def mix(fixture: Fixture, weights: Mapping[UserKind, int]) -> list[type[ErpUser]]:
    """Concrete user classes for one run: each kind with a weight above 0, bound to the fixture, with
    Locust's `weight` set from the profile. They keep the kind's class name (Locust reports and dispatches
    users by class name, so a master and its workers must agree on it)."""
    return [type(KINDS[kind].__name__, (KINDS[kind],), {"abstract": False, "fixture": fixture, "weight": weight,
                                                        "__module__": __name__})
            for kind, weight in weights.items() if weight > 0]


__all__ = ["KINDS", "ErpUser", "mix"]
