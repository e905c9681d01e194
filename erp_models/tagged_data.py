"""Throw-away data made through the domain services under a tag (`LT-1a2b3c`, `SMOKE-1a2b3c`) and retired by it.

Shared by the load test's preparation and the cutover's smoke test: stock arrives through the ledger (an
adjustment per SKU), never by writing stock levels, and retiring deactivates rather than deletes, because the
stock ledger is append-only and orders, ledger entries, outbox events and audit rows reference these rows.
Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.catalogue.services import SkuInput, create_sku
from erp_models.inventory.services import adjust_stock

LOAD_TEST_PREFIX = "LT-"
SMOKE_PREFIX = "SMOKE-"
TAG_PREFIXES = (LOAD_TEST_PREFIX, SMOKE_PREFIX)


def untagged_sku(alias: str) -> str:
    """SQL condition: the SKU row `alias` is business data, not a load test's or a smoke test's. The analysis and
    the monitor's KPIs leave tagged data out (a load test's orders are not demand)."""
    return "(" + " AND ".join(f"{alias}.code NOT LIKE '{prefix}%'" for prefix in TAG_PREFIXES) + ")"


def untagged_order(alias: str) -> str:
    """SQL condition: the sales order row `alias` has no line on a tagged SKU."""
    return (f"NOT EXISTS (SELECT 1 FROM sales_order_lines tl JOIN skus tk ON tk.id = tl.sku_id "
            f"WHERE tl.sales_order_id = {alias}.id AND NOT {untagged_sku('tk')})")


@dataclass(frozen=True)
class Retired:
    """How many of a tag's rows retiring revoked or deactivated."""

    tokens_revoked: int
    users_deactivated: int
    skus_deactivated: int
    warehouses_deactivated: int
    suppliers_deactivated: int


def username(tag: str, kind: str) -> str:
    """A tagged user's name: retiring finds it by the lower-cased tag."""
    return f"{tag.lower()}-{kind}"


def create_stocked_skus(session: Session, *, tag: str, warehouse: str, skus: Sequence[str], stock: int,
                        actor: str, purpose: str, list_price: int = 4990) -> None:
    """Create each SKU (with its own product, in the tag's category) and, when `stock` > 0, post it to the ledger."""
    for n, code in enumerate(skus, start=1):
        create_sku(session, sku=SkuInput(code=code, product_code=f"{tag}-P{n:04d}", product_name=f"{purpose} {code}",
                                         category_code=f"{tag}-CAT", category_name=f"{purpose} {tag}",
                                         list_price=list_price), actor=actor)
        if stock > 0:
            adjust_stock(session, sku=code, warehouse=warehouse, delta=stock, reason=f"{purpose} {tag}: opening stock",
                         actor=actor)


def retire_tagged(session: Session, *, tag: str) -> Retired:
    """Revoke the tag's tokens and deactivate its users, SKUs, warehouses and suppliers (nothing is deleted)."""
    like = {"p": f"{tag}-%", "u": f"{tag.lower()}-%"}
    revoked = session.execute(text(
        """UPDATE api_tokens t SET revoked_at = now() FROM users u
           WHERE u.id = t.user_id AND u.username LIKE :u AND t.revoked_at IS NULL RETURNING t.id"""), like).all()
    users = session.execute(text("UPDATE users SET active = false WHERE username LIKE :u AND active RETURNING id"),
                            like).all()
    counts = [len(session.execute(text(f"UPDATE {table} SET active = false WHERE code LIKE :p AND active RETURNING id"),
                                  like).all()) for table in ("skus", "warehouses", "suppliers")]
    return Retired(tokens_revoked=len(revoked), users_deactivated=len(users), skus_deactivated=counts[0],
                   warehouses_deactivated=counts[1], suppliers_deactivated=counts[2])
