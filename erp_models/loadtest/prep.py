"""The data a load-test run works on: its own warehouse, SKUs with ample stock, a supplier and one token per
user kind, every code carrying the run's tag (`LT-1a2b3c`), so the run's rows are recognisable and can be
retired afterwards.

Stock arrives through the inventory services' ledger (an adjustment per SKU), never by writing stock levels.
Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.orm import Session

from erp_models.catalogue.services import create_supplier, create_warehouse
from erp_models.enums import RoleName
from erp_models.security.services import issue_token
from erp_models.tagged_data import LOAD_TEST_PREFIX, create_stocked_skus, retire_tagged
from erp_models.tagged_data import username as tagged_username

TAG_PREFIX = LOAD_TEST_PREFIX
ACTOR = "load-test"
DEFAULT_SKUS = 20
DEFAULT_STOCK = 1_000_000  # per SKU: no profile on this machine comes near it, so a 409 means a bug
CHANNEL = "tmall"


class UserKind(StrEnum):
    """The kinds of simulated users; a profile's weights are keyed by them."""

    CONNECTOR = "connector"  # a marketplace connector placing (and replaying) orders
    SHOPPER = "shopper"  # a shopper's stock look-ups
    WAREHOUSE = "warehouse"  # warehouse staff shipping orders and receiving goods
    PURCHASER = "purchaser"  # creating and approving purchase orders
    MANAGER = "manager"  # reading lists


# The built-in role each kind's token is issued for: the least that lets it do its job.
ROLE_OF_KIND: dict[UserKind, RoleName] = {
    UserKind.CONNECTOR: RoleName.CHANNEL_INTEGRATION,
    UserKind.SHOPPER: RoleName.VIEWER,
    UserKind.WAREHOUSE: RoleName.WAREHOUSE,
    UserKind.PURCHASER: RoleName.PURCHASER,
    UserKind.MANAGER: RoleName.PM,
}


@dataclass(frozen=True)
class LoadFixture:
    """What a run's simulated users need (the contract's `fixture` object); the tokens are secrets."""

    tag: str
    warehouse: str
    skus: list[str]
    supplier: str
    channel: str
    customer_ref: str
    tokens: dict[str, str] = field(repr=False)

    def to_json(self) -> dict[str, object]:
        return {"tag": self.tag, "warehouse": self.warehouse, "skus": list(self.skus), "supplier": self.supplier,
                "channel": self.channel, "customer_ref": self.customer_ref, "tokens": dict(self.tokens)}


@dataclass(frozen=True)
class Cleanup:
    """What retiring a run's data did, and what stays (recognisable by the tag) because history is kept."""

    tag: str
    tokens_revoked: int
    users_deactivated: int
    skus_deactivated: int
    warehouses_deactivated: int
    suppliers_deactivated: int
    kept: list[str]


def new_tag() -> str:
    return f"{TAG_PREFIX}{secrets.token_hex(3)}"


def sku_codes(tag: str, count: int) -> list[str]:
    return [f"{tag}-{n:04d}" for n in range(1, count + 1)]


def username(tag: str, kind: UserKind) -> str:
    return tagged_username(tag, kind.value)


def prepare(session: Session, *, tag: str, sku_count: int = DEFAULT_SKUS, stock: int = DEFAULT_STOCK,
            channel: str = CHANNEL) -> LoadFixture:
    """Create the run's warehouse, SKUs (stocked through the ledger), supplier, users and tokens."""
    warehouse, supplier = f"{tag}-WH", f"{tag}-SUP"
    create_warehouse(session, code=warehouse, name=f"load test {tag}", actor=ACTOR)
    create_supplier(session, code=supplier, name=f"load test {tag}", actor=ACTOR)
    skus = sku_codes(tag, sku_count)
    create_stocked_skus(session, tag=tag, warehouse=warehouse, skus=skus, stock=stock, actor=ACTOR,
                        purpose="load test")
    tokens = {kind.value: issue_token(session, username=username(tag, kind), role=ROLE_OF_KIND[kind].value,
                                      actor=ACTOR).token for kind in UserKind}
    return LoadFixture(tag=tag, warehouse=warehouse, skus=skus, supplier=supplier, channel=channel,
                       customer_ref=f"{tag}-buyer", tokens=tokens)


def cleanup(session: Session, *, tag: str) -> Cleanup:
    """Revoke the run's tokens and deactivate its users, SKUs, warehouse and supplier.

    Nothing is deleted: the stock ledger is append-only and the run's orders, shipments, purchase orders,
    ledger entries, outbox events and audit rows reference these rows, so they stay as history. Inactive
    SKUs take no new orders; every stayed row carries the tag in its code (or its order's external id)."""
    done = retire_tagged(session, tag=tag)
    kept = ["sales orders, their lines, payments and shipments (customer and SKU codes carry the tag)",
            "purchase orders and goods receipts of the run's supplier", "the run's stock ledger entries and stock "
            "levels (append-only history)", "outbox events and audit rows of the run's changes"]
    return Cleanup(tag=tag, tokens_revoked=done.tokens_revoked, users_deactivated=done.users_deactivated,
                   skus_deactivated=done.skus_deactivated, warehouses_deactivated=done.warehouses_deactivated,
                   suppliers_deactivated=done.suppliers_deactivated, kept=kept)
