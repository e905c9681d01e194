"""The evidence store: every flow records its measurements here, and milestone gates read only these."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def record_evidence(session: Session, *, source: str, values: Mapping[str, float],
                    detail: Mapping[str, Any] | None = None) -> None:
    """Append one row per key (e.g. 'migration.sales_orders.quarantine_rate' -> 0.004)."""
    if not values:
        return
    session.execute(
        text("""INSERT INTO evidence (key, value, source, detail)
                SELECT k, v, :source, CAST(:detail AS jsonb) FROM unnest(CAST(:keys AS text[]),
                CAST(:vals AS double precision[])) AS e(k, v)"""),
        {"source": source, "detail": json.dumps(dict(detail or {}), default=str), "keys": list(values),
         "vals": [float(v) for v in values.values()]},
    )


def latest_evidence(session: Session, *, prefix: str = "") -> dict[str, float]:
    """The newest value of every key that starts with `prefix`."""
    rows = session.execute(
        text("""SELECT DISTINCT ON (key) key, value FROM evidence WHERE starts_with(key, :p)
                ORDER BY key, recorded_at DESC, id DESC"""),
        {"p": prefix},
    ).all()
    return {str(k): float(v) for k, v in rows}
