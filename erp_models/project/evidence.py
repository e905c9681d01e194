"""The evidence store: every flow records its measurements here, and milestone gates read only these.

Which value a gate reads for a key (`judged_evidence`):
- values recorded with a scope (a migration mapping's name, `tests/<suite>` for a test suite) and a run id
  are judged run by run: the gate reads every value of one run, the newest run of that scope that counts and
  has not been withdrawn, so it never mixes one run's `migration.run.passed` with another run's quarantine rate.
  A key that run did not record is missing, not taken from an older run;
- a value recorded without a scope (`erpops evidence junit`, a training change): the newest one of its key that counts
  and has not been withdrawn;
- when several scopes (or a scope and a hand-recorded value) give the same key, the newest of them wins.
A value that does not count (a migration run that loaded nothing) or was withdrawn (its run was undone) is
kept and listed, never judged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from erp_models.project.criteria import Provenance
from erp_models.project.tracking import Evidence

# The ids of the rows the gates read: see the module's docstring.
_JUDGED_IDS = """
    WITH live AS (SELECT id, key, scope, run_id, recorded_at FROM evidence WHERE counts AND withdrawn_at IS NULL),
    judged_runs AS (SELECT DISTINCT ON (scope) scope, run_id FROM live WHERE scope IS NOT NULL
                    ORDER BY scope, recorded_at DESC, id DESC),
    candidates AS (
        SELECT id, key, recorded_at FROM live WHERE scope IS NULL
        UNION ALL
        SELECT l.id, l.key, l.recorded_at FROM live l
        JOIN judged_runs j ON j.scope = l.scope AND l.run_id IS NOT DISTINCT FROM j.run_id)
    SELECT DISTINCT ON (key) id FROM candidates WHERE starts_with(key, :p)
    ORDER BY key, recorded_at DESC, id DESC
"""


class EvidenceState(StrEnum):
    JUDGED = "judged"  # the value milestone gates read
    SUPERSEDED = "superseded"  # a newer value (or run) of the key is judged instead
    NOT_COUNTING = "not counting"  # its run changed nothing in the ERP
    WITHDRAWN = "withdrawn"  # its run was undone


@dataclass(frozen=True)
class EvidenceRecord:
    """One recorded value, with where it came from and whether the gates read it."""

    key: str
    value: float
    source: str
    run_id: uuid.UUID | None
    scope: str | None
    recorded_at: datetime
    state: EvidenceState
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawn_reason: str | None = None


def run_counts(*, passed: bool, loaded_rows: int) -> bool:
    """Whether a run's evidence counts for gates: it passed, or it failed after loading something.

    A run blocked at its gate or crashed while staging left the ERP as it was: judging it would fail a
    milestone over data the ERP does not hold, and hide the run whose data it does hold."""
    return passed or loaded_rows > 0


def record_evidence(session: Session, *, source: str, values: Mapping[str, float],
                    detail: Mapping[str, Any] | None = None, run_id: uuid.UUID | None = None,
                    scope: str | None = None, counts: bool = True) -> None:
    """Append one row per key (e.g. 'migration.sales_orders.quarantine_rate' -> 0.004)."""
    if not values:
        return
    session.execute(
        text("""INSERT INTO evidence (key, value, source, detail, run_id, scope, counts)
                SELECT k, v, :source, CAST(:detail AS jsonb), :run_id, :scope, :counts
                FROM unnest(CAST(:keys AS text[]), CAST(:vals AS double precision[])) AS e(k, v)"""),
        {"source": source, "detail": json.dumps(dict(detail or {}), default=str), "keys": list(values),
         "vals": [float(v) for v in values.values()], "run_id": run_id, "scope": scope, "counts": counts},
    )


def withdraw_evidence(session: Session, *, run_id: uuid.UUID, by: str, reason: str) -> int:
    """Mark every value the run recorded as withdrawn (kept for the record, never judged); how many."""
    result = session.execute(
        update(Evidence).where(Evidence.run_id == run_id, Evidence.withdrawn_at.is_(None))
        .values(withdrawn_at=func.now(), withdrawn_by=by[:200], withdrawn_reason=reason),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def judged_evidence(session: Session, *, prefix: str = "") -> dict[str, float]:
    """The value milestone gates read for every key that starts with `prefix`."""
    judged = _judged(session, prefix)
    rows = session.execute(select(Evidence.key, Evidence.value).where(Evidence.id.in_(judged))).all()
    return {str(k): float(v) for k, v in sorted(rows)}


def judged_provenance(session: Session, *, prefix: str = "") -> dict[str, Provenance]:
    """For every judged key: the run that recorded its value, and when."""
    judged = _judged(session, prefix)
    rows = session.execute(select(Evidence.key, Evidence.run_id, Evidence.recorded_at)
                           .where(Evidence.id.in_(judged))).all()
    return {str(k): Provenance(run_id=None if r is None else str(r), recorded_at=t.isoformat()) for k, r, t in rows}


def evidence_records(session: Session, *, prefix: str = "", history: bool = False) -> list[EvidenceRecord]:
    """By key, newest first: the judged value and whatever was recorded after it (withdrawn, not counting), or
    every value of a key none of whose values is judged; with `history`, every value ever recorded."""
    judged = _judged(session, prefix)
    rows = session.scalars(select(Evidence).where(Evidence.key.startswith(prefix, autoescape=True))
                           .order_by(Evidence.key, Evidence.recorded_at.desc(), Evidence.id.desc()))
    records: list[EvidenceRecord] = []
    listed_enough: set[str] = set()
    for row in rows:
        if not history:
            if row.key in listed_enough:
                continue
            if row.id in judged:
                listed_enough.add(row.key)
        records.append(EvidenceRecord(
            key=row.key, value=row.value, source=row.source, run_id=row.run_id, scope=row.scope,
            recorded_at=row.recorded_at, state=_state(row, judged), withdrawn_at=row.withdrawn_at,
            withdrawn_by=row.withdrawn_by, withdrawn_reason=row.withdrawn_reason))
    return records


def _judged(session: Session, prefix: str) -> set[int]:
    return {int(i) for i in session.scalars(text(_JUDGED_IDS), {"p": prefix})}


def _state(row: Evidence, judged: set[int]) -> EvidenceState:
    if row.withdrawn_at is not None:
        return EvidenceState.WITHDRAWN
    if not row.counts:
        return EvidenceState.NOT_COUNTING
    return EvidenceState.JUDGED if row.id in judged else EvidenceState.SUPERSEDED
