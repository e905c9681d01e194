"""Live data quality: GX 1.x suites over recent business data in the running ERP (not over migration input).

Each check is one expectation over one frame the monitor read (erp_models/ops/monitor_probes): its value is the
number of rows that break it, with a few of their keys. GX is imported lazily through expectations.runtime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from expectations.runtime import validate
from expectations.spec import ExpectationSpec, between

BIG = 2**62
SAMPLES = 5


@dataclass(frozen=True)
class LiveCheck:
    """One monitor check (`dq.*`) as an expectation on the frame `frame`, whose rows are named by `key`."""

    check: str
    frame: str
    key: str
    spec: ExpectationSpec


def live_checks(*, stale_reservation_days: int) -> list[LiveCheck]:
    return [
        LiveCheck("dq.orders_without_lines", "orders", "order_id", between("orders_have_lines", "line_count", 1, BIG)),
        LiveCheck("dq.nonpositive_prices", "order_lines", "line_id",
                  between("unit_price_positive", "unit_price", 1, BIG)),
        LiveCheck("dq.stale_reservations", "reservations", "order_id",
                  between("reservation_fresh", "age_days", 0, stale_reservation_days)),
        LiveCheck("dq.skus_without_price", "sku_prices", "sku", between("sku_priced", "price", 1, BIG)),
    ]


@dataclass(frozen=True)
class LiveResult:
    check: str
    rows: int
    failing: int
    sample_keys: list[str]


def validate_live(frames: Mapping[str, Sequence[Mapping[str, Any]]], checks: Sequence[LiveCheck]) -> list[LiveResult]:
    """Run each check's expectation over its frame; an empty frame has nothing to break."""
    results = []
    for check in checks:
        rows = frames.get(check.frame, [])
        if not rows:
            results.append(LiveResult(check.check, 0, 0, []))
            continue
        df = pd.DataFrame(list(rows))
        column = check.spec.column or ""
        df[column] = pd.to_numeric(df[column], errors="coerce").astype("float64")
        found = validate(df, f"live.{check.frame}", (check.spec,), check.key)[check.spec.name]
        keys = [str(df[check.key].iloc[p]) for p in found.positions[:SAMPLES]]
        results.append(LiveResult(check.check, len(df), found.unexpected_count, keys))
    return results
