"""A run's quarantine as stored: rows set aside per reason, and every row for the CSV.

A summary row (a reason without a source row: exact repeats, repeated keys) carries its row count first in
`detail` ("3 rows: K1, K2"), which `set_aside_counts` adds up.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

REJECT_REASONS = {"duplicate_row", "duplicate_key"}


@dataclass(frozen=True)
class SetAside:
    """An entity's rows set aside in a run so far: quarantined, rejected, and the rows per reason."""

    quarantined: int
    rejected: int
    reasons: dict[str, int]


def set_aside_counts(session: Session, run_id: uuid.UUID, entity: str) -> SetAside:
    """The rows of the entity quarantined and rejected in this run, and per reason."""
    rows = session.execute(text("""SELECT reason_code, count(*), coalesce(sum(CASE WHEN source_row IS NULL
        THEN split_part(detail, ' ', 1)::int ELSE 0 END), 0) FROM quarantined_rows
        WHERE run_id = :r AND entity = :e GROUP BY 1"""), {"r": run_id, "e": entity}).all()
    reasons: Counter[str] = Counter()
    for reason, count, summarised in rows:
        reasons[str(reason)] += int(summarised) if int(summarised) else int(count)
    rejected = sum(v for k, v in reasons.items() if k in REJECT_REASONS or k.startswith("rejected_"))
    return SetAside(sum(reasons.values()) - rejected, rejected, dict(reasons))


def quarantined_rows(session: Session, run_id: uuid.UUID) -> Sequence[Any]:
    """(entity, reason, legacy key, file, row, detail, raw) of every row the run set aside, by entity."""
    return session.execute(text("""SELECT entity, reason_code, legacy_key, source_file, source_row, detail,
        raw FROM quarantined_rows WHERE run_id = :r ORDER BY entity, id"""), {"r": run_id}).all()
