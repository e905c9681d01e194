"""Reorder proposals as draft purchase orders for the purchaser to approve, one per supplier and warehouse.

Idempotent: the analysis' drafts carry origin "analysis", and a run revises its own open drafts (or cancels the
ones nothing is proposed for any more) instead of adding new ones. Drafts a person made and orders already approved
are never touched. Runs queue on an advisory lock, so two at once cannot both create a supplier's draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.ops.proposals import ReorderProposal, expected_days
from erp_models.procurement.services import (
    PurchaseLineInput,
    close_purchase_order,
    create_purchase_order,
    get_purchase_order,
    revise_draft,
)

ORIGIN = "analysis"
_LOCK_KEY = 0x6F7073_616E61  # "ops" "ana": one lock for every run that writes the analysis' drafts


@dataclass(frozen=True)
class DraftOrder:
    id: int
    number: str
    supplier: str
    warehouse: str
    total: int
    currency: str
    lines: list[tuple[str, int, int]]  # sku, qty, unit cost
    action: str  # created, revised, unchanged, cancelled


@dataclass(frozen=True)
class DraftsOutcome:
    drafts: list[DraftOrder] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for d in self.drafts if d.action == action)


def draftable(proposals: Sequence[ReorderProposal]) -> dict[tuple[str, str], list[ReorderProposal]]:
    """The proposals to order, grouped by (supplier, warehouse), lines in SKU order."""
    groups: dict[tuple[str, str], list[ReorderProposal]] = {}
    for p in sorted(proposals, key=lambda p: p.sku):
        if p.qty > 0 and p.supplier and p.warehouse and p.unit_cost is not None:
            groups.setdefault((p.supplier, p.warehouse), []).append(p)
    return dict(sorted(groups.items()))


def _own_drafts(session: Session) -> dict[tuple[str, str], int]:
    rows = session.execute(text("""
        SELECT s.code, w.code, p.id FROM purchase_orders p JOIN suppliers s ON s.id = p.supplier_id
        JOIN warehouses w ON w.id = p.warehouse_id
        WHERE p.origin = :origin AND p.status = 'draft' ORDER BY p.id FOR UPDATE OF p"""), {"origin": ORIGIN})
    return {(str(s), str(w)): int(po_id) for s, w, po_id in rows}


def sync_drafts(session: Session, *, proposals: Sequence[ReorderProposal], actor: str, today: date) -> DraftsOutcome:
    """Make the analysis' drafts say what `proposals` want ordered; what each draft became."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    existing = _own_drafts(session)
    done: list[DraftOrder] = []
    for (supplier, warehouse), group in draftable(proposals).items():
        lines = [PurchaseLineInput(p.sku, p.qty, p.unit_cost or 0) for p in group]
        expected = today + timedelta(days=expected_days(group))
        po_id = existing.pop((supplier, warehouse), None)
        if po_id is None:
            view = create_purchase_order(session, supplier=supplier, warehouse=warehouse, lines=lines, actor=actor,
                                         expected_on=expected, currency=group[0].currency or "CNY", origin=ORIGIN)
            action = "created"
        else:
            before = get_purchase_order(session, po_id=po_id)
            same = [(line.sku, line.qty_ordered, line.unit_cost) for line in before.lines] == [
                (line.sku, line.qty, line.unit_cost) for line in lines]
            view = before if same else revise_draft(session, po_id=po_id, lines=lines, actor=actor,
                                                    expected_on=expected)
            action = "unchanged" if same else "revised"
        done.append(DraftOrder(view.id, view.number, supplier, warehouse, view.total, view.currency,
                           [(line.sku, line.qty_ordered, line.unit_cost) for line in view.lines], action))
    for (supplier, warehouse), po_id in sorted(existing.items()):  # nothing to order from them any more
        view = close_purchase_order(session, po_id=po_id, actor=actor)
        done.append(DraftOrder(view.id, view.number, supplier, warehouse, view.total, view.currency, [], "cancelled"))
    return DraftsOutcome(done)

