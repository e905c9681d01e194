"""The data a cutover smoke test works on: one SKU in its own warehouse, stocked through the ledger, and a token
for the sales clerk and one for the warehouse, every code carrying the run's tag (`SMOKE-1a2b3c`).

`cleanup` retires it so the live ERP keeps nothing sellable from the smoke test. Nothing here commits: the
caller's unit of work does.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.catalogue.services import create_warehouse
from erp_models.enums import RoleName
from erp_models.inventory.services import adjust_stock, stock_position
from erp_models.sales.ordering import cancel_order
from erp_models.security.services import issue_token
from erp_models.tagged_data import SMOKE_PREFIX, Retired, create_stocked_skus, retire_tagged, username

TAG_PREFIX = SMOKE_PREFIX
ACTOR = "smoke-test"
PURPOSE = "cutover smoke test"
DEFAULT_STOCK = 10
CHANNEL = "webshop"
SALES, WAREHOUSE = "sales", "warehouse"  # the token kinds: who places, pays and cancels; who ships


@dataclass(frozen=True)
class SmokeFixture:
    """What the smoke test drives through the API; the tokens are secrets (revoked by `cleanup`)."""

    tag: str
    sku: str
    warehouse: str
    channel: str
    customer_ref: str
    stock: int
    unit_price: int
    tokens: dict[str, str] = field(repr=False)


@dataclass(frozen=True)
class SmokeCleanup:
    """What retiring the smoke data did, and what stays because history is kept."""

    tag: str
    orders_cancelled: int
    stock_written_off: int
    retired: Retired
    kept: list[str]


def new_tag() -> str:
    return f"{TAG_PREFIX}{secrets.token_hex(3)}"


def user_prefix(tag: str) -> str:
    """What the names of the tag's users (and only theirs) start with: `smoke-1a2b3c-`, exempted while frozen."""
    return username(tag, "")


def prepare(session: Session, *, tag: str, stock: int = DEFAULT_STOCK, unit_price: int = 100) -> SmokeFixture:
    """Create the smoke warehouse and SKU with `stock` units (none when 0), and the sales and warehouse tokens."""
    warehouse, sku = f"{tag}-WH", f"{tag}-0001"
    create_warehouse(session, code=warehouse, name=f"{PURPOSE} {tag}", actor=ACTOR)
    create_stocked_skus(session, tag=tag, warehouse=warehouse, skus=[sku], stock=stock, actor=ACTOR,
                        purpose=PURPOSE, list_price=unit_price)
    tokens = {kind: issue_token(session, username=username(tag, kind), role=role.value, actor=ACTOR).token
              for kind, role in ((SALES, RoleName.SALES), (WAREHOUSE, RoleName.WAREHOUSE))}
    return SmokeFixture(tag=tag, sku=sku, warehouse=warehouse, channel=CHANNEL, customer_ref=f"{tag}-buyer",
                        stock=stock, unit_price=unit_price, tokens=tokens)


def cleanup(session: Session, *, tag: str) -> SmokeCleanup:
    """Cancel the tag's unshipped orders, write the smoke SKU's remaining stock off through the ledger,
    revoke the tokens and deactivate the users, the SKU and the warehouse, so nothing of it can be sold.

    Nothing is deleted, because the stock ledger is append-only and history is kept. What stays:
    - the smoke orders (external ids `<tag>-...`, now shipped or cancelled), their lines, payments and shipment;
    - the ledger entries (opening stock, the shipment, the write-off), and the stock level at on_hand 0;
    - the inactive SKU, its product and category, the inactive warehouse, users and revoked tokens;
    - the customer `<tag>-buyer`, the outbox events and the audit rows of every change.
    Invariants hold afterwards (`db check` is clean): on_hand equals the ledger and nothing stays reserved."""
    open_orders = session.execute(text(
        """SELECT id FROM sales_orders WHERE external_id LIKE :p AND status IN ('placed', 'paid') ORDER BY id"""),
        {"p": f"{tag}-%"}).scalars().all()
    for order_id in open_orders:
        cancel_order(session, order_id=order_id, actor=ACTOR)
    written_off = 0
    for sku, warehouse in _stock_rows(session, tag):
        free = stock_position(session, sku=sku, warehouse=warehouse).available
        if free > 0:
            adjust_stock(session, sku=sku, warehouse=warehouse, delta=-free, actor=ACTOR,
                         reason=f"{PURPOSE} {tag}: written off after the smoke test")
            written_off += free
    kept = ["the smoke orders with their lines, payments and shipments (external ids carry the tag)",
            "the stock ledger entries (append-only) and the stock level, now at 0",
            "the inactive SKU, product, category, warehouse and users, and the revoked tokens",
            "the smoke customer, outbox events and audit rows"]
    return SmokeCleanup(tag=tag, orders_cancelled=len(open_orders), stock_written_off=written_off,
                        retired=retire_tagged(session, tag=tag), kept=kept)


def _stock_rows(session: Session, tag: str) -> list[tuple[str, str]]:
    rows = session.execute(text(
        """SELECT k.code, w.code FROM stock_levels s JOIN skus k ON k.id = s.sku_id
           JOIN warehouses w ON w.id = s.warehouse_id WHERE k.code LIKE :p ORDER BY k.code, w.code"""),
        {"p": f"{tag}-%"}).all()
    return [(str(sku), str(wh)) for sku, wh in rows]
