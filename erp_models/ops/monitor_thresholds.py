"""The monitor's checks and their limits: `<check> <op> <number>`, parsed and judged.

The load-test grammar (erp_models/loadtest/grammar.py) is built around Locust's metrics (`p(95)`, per-endpoint
names, `for Ns` windows over one-second buckets), none of which a monitor sample has; a monitor limit is one
comparison of one measured figure, the same shape as a milestone criterion, so it uses that grammar's operators.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from erp_models.project.criteria import OPERATORS

# check -> what it measures (its unit in the name's suffix)
CHECKS: dict[str, str] = {
    "db.reachable": "1 when the ERP database answers, else 0",
    "db.connections_ratio": "connections in use / max_connections",
    "db.longest_transaction_s": "age of the oldest open transaction, seconds",
    "db.lock_waiters": "sessions waiting on a lock",
    "db.bloat_ratio": "dead / (live + dead) tuples of the most bloated table with at least 10 000 rows",
    "db.size_growth_ratio": "database size growth since the previous monitor run (0.1 = +10%)",
    "api.health_p95_ms": "p95 of GET /health over the burst, ms",
    "api.read_p95_ms": "p95 of the read endpoint over the burst, ms",
    "api.error_ratio": "share of burst requests that failed (non-2xx or no answer)",
    "invariants.violations": "rows breaking the `erpops db check` invariants",
    "dq.orders_without_lines": "recent orders with no lines (GX)",
    "dq.nonpositive_prices": "recent order lines with a unit price of 0 or less (GX)",
    "dq.stale_reservations": "open orders holding stock longer than the plan allows (GX)",
    "dq.skus_without_price": "active SKUs with neither a list price nor a priced channel listing (GX)",
    "outbox.lag_min": "minutes the oldest event has waited for a consumer that has not read it",
    "kpi.orders_per_hour": "orders per hour over the KPI window, all channels",
    "kpi.fill_rate": "shipped / ordered quantity of orders old enough to have shipped",
    "kpi.stock_outs": "active SKUs sold in the window with nothing available",
    "kpi.min_days_of_cover": "the lowest days of cover among the top SKUs",
}
_EXPRESSION = re.compile(r"^\s*(?P<check>[a-z]+\.[a-z0-9_]+)\s*(?P<op><=|>=|==|!=|<|>)\s*"
                         r"(?P<limit>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
HOW = "write `<check> <op> <number>`, e.g. 'api.read_p95_ms < 500'"


class MonitorThresholdError(ValueError):
    """A limit that cannot be parsed; one line that names where it was written."""


@dataclass(frozen=True)
class MonitorThreshold:
    text: str
    check: str
    op: str
    limit: float

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.limit)


@dataclass(frozen=True)
class CheckVerdict:
    """One check of one run: its value, its limit (None: measured only) and whether it passed."""

    check: str
    value: float | None  # None: could not be measured (e.g. the API did not answer); fails when it has a limit
    limit: str | None  # the threshold as written
    passed: bool
    summary: str


def parse_monitor_threshold(text: str, where: str = "") -> MonitorThreshold:
    match = _EXPRESSION.match(text)
    prefix = f"{where}: " if where else ""
    if match is None:
        raise MonitorThresholdError(f"{prefix}cannot parse {text!r}; {HOW}")
    if match["check"] not in CHECKS:
        raise MonitorThresholdError(f"{prefix}unknown check {match['check']!r} in {text!r}; checks: "
                                    + ", ".join(sorted(CHECKS)))
    limit = float(match["limit"])
    if not math.isfinite(limit):
        raise MonitorThresholdError(f"{prefix}the limit in {text!r} is not a finite number")
    return MonitorThreshold(text=" ".join(text.split()), check=match["check"], op=match["op"], limit=limit)


def judge_figures(figures: dict[str, float | None], limits: dict[str, MonitorThreshold],
                  notes: dict[str, str] | None = None) -> list[CheckVerdict]:
    """Every check that has a figure or a limit, judged; a limited check whose figure is missing fails (a monitor
    that cannot measure is not a monitor that found nothing), unless its note says it does not apply."""
    notes = notes or {}
    verdicts = []
    for check in sorted(set(figures) | set(limits)):
        value, threshold, note = figures.get(check), limits.get(check), notes.get(check, "")
        if threshold is None:
            verdicts.append(CheckVerdict(check, value, None, True, _describe(check, value, note)))
        elif value is None and note.startswith("n/a"):
            verdicts.append(CheckVerdict(check, None, threshold.text, True, note))
        elif value is None:
            verdicts.append(CheckVerdict(check, None, threshold.text, False,
                                         f"{check} could not be measured" + (f": {note}" if note else "")))
        else:
            ok = threshold.holds(value)
            verdicts.append(CheckVerdict(check, value, threshold.text, ok, f"{check} = {value:g}, "
                                         + ("within" if ok else "breaks") + f" `{threshold.text}`"
                                         + (f" ({note})" if note else "")))
    return verdicts


def _describe(check: str, value: float | None, note: str) -> str:
    shown = "not measured" if value is None else f"{value:g}"
    return f"{check} = {shown} (no limit)" + (f" ({note})" if note else "")


def percentile(values: list[float], pct: float) -> float | None:
    """The nearest-rank percentile (the smallest value with at least `pct`% of values at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
