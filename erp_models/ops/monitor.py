"""The monitor as a service: each probe's figures, and a run's verdicts turned into incidents. No Prefect here.

A probe returns figures keyed by check name (erp_models/ops/monitor_thresholds.CHECKS) with a note per check when
there is something to say (the most bloated table, a consumer that lags). Judging is monitor_thresholds'; this module
opens, updates and resolves the incidents the verdicts call for. Nothing commits: the caller's unit of work does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_models.invariants import find_violations
from erp_models.ops import monitor_probes as probes
from erp_models.ops.incidents import IncidentView, report_violation, resolve_passing
from erp_models.ops.models import Incident, IncidentSeverity
from erp_models.ops.monitor_spec import MonitorSpec
from erp_models.ops.monitor_thresholds import CheckVerdict

NAMESPACES = ("db.", "api.", "invariants.", "dq.", "kpi.", "outbox.")  # the incidents the monitor owns
CRITICAL = frozenset({"db.reachable", "invariants.violations", "api.error_ratio"})


class TopSku(BaseModel):
    sku: str
    sold: int
    available: int
    days_of_cover: float | None


class Probe(BaseModel):
    """What one probe measured: figures by check (None: could not be measured) and notes by check."""

    figures: dict[str, float | None] = Field(default_factory=dict)
    notes: dict[str, str] = Field(default_factory=dict)
    by_channel: dict[str, float] = Field(default_factory=dict)  # KPI: orders per hour per channel
    top_skus: list[TopSku] = Field(default_factory=list)  # KPI: days of cover of the best sellers


class IncidentChanges(BaseModel):
    opened: list[int] = Field(default_factory=list)
    updated: list[int] = Field(default_factory=list)
    resolved: list[int] = Field(default_factory=list)
    still_open: list[str] = Field(default_factory=list, description="checks whose monitor incidents stay open")


def database_probe(session: Session, *, previous_size: float | None) -> Probe:
    f = probes.database_figures(session)
    growth = None if not previous_size else round((f.size_bytes - previous_size) / previous_size, 4)
    notes = {"db.connections_ratio": f"{f.connections} of {f.max_connections} connections"}
    if f.bloat_table:
        notes["db.bloat_ratio"] = f"table {f.bloat_table}"
    if growth is None:
        notes["db.size_growth_ratio"] = "n/a: no earlier monitor sample of this database"
    return Probe(figures={"db.reachable": 1.0, "db.size_bytes": float(f.size_bytes),
                          "db.connections_ratio": round(f.connections / f.max_connections, 4),
                          "db.longest_transaction_s": f.longest_transaction_s, "db.lock_waiters": float(f.lock_waiters),
                          "db.bloat_ratio": f.bloat_ratio, "db.size_growth_ratio": growth}, notes=notes)


def invariants_probe(session: Session) -> Probe:
    found = find_violations(session)
    note = "; ".join(f"{v.check}: {v.count}" for v in found[:5]) + (" ..." if len(found) > 5 else "")
    return Probe(figures={"invariants.violations": float(sum(v.count for v in found))},
                 notes={"invariants.violations": note} if found else {})


def outbox_probe(session: Session) -> Probe:
    worst, lags = probes.outbox_lag_minutes(session)
    if worst is None:
        return Probe(figures={"outbox.lag_min": None}, notes={"outbox.lag_min": "n/a: no outbox consumer yet"})
    slowest = max(lags, key=lambda name: lags[name])
    return Probe(figures={"outbox.lag_min": worst}, notes={"outbox.lag_min": f"slowest consumer {slowest}"})


def kpi_probe(session: Session, spec: MonitorSpec) -> Probe:
    k = probes.kpis(session, window_days=spec.kpi_window_days, ship_within_hours=spec.ship_within_hours,
                    top=spec.top_skus)
    notes = {} if k.fill_rate is not None else {"kpi.fill_rate": "n/a: no order old enough to have shipped"}
    if k.min_days_of_cover is None:
        notes["kpi.min_days_of_cover"] = "n/a: nothing sold in the window"
    return Probe(figures={"kpi.orders_per_hour": k.orders_per_hour, "kpi.fill_rate": k.fill_rate,
                          "kpi.stock_outs": float(k.stock_outs), "kpi.min_days_of_cover": k.min_days_of_cover},
                 notes=notes, by_channel=k.by_channel, top_skus=[TopSku(**s) for s in k.top_skus])


def merge(found: Sequence[Probe]) -> Probe:
    merged = Probe()
    for probe in found:
        merged.figures.update(probe.figures)
        merged.notes.update(probe.notes)
        merged.by_channel.update(probe.by_channel)
        merged.top_skus.extend(probe.top_skus)
    return merged


def report_verdicts(session: Session, verdicts: Sequence[CheckVerdict], *, source: str,
                    run_id: uuid.UUID | None) -> IncidentChanges:
    """Open or update an incident per failed check, resolve the passing checks' incidents; which stay open."""
    changes = IncidentChanges()
    for v in (v for v in verdicts if not v.passed):
        severity = IncidentSeverity.CRITICAL if v.check in CRITICAL else IncidentSeverity.WARNING
        incident, opened = report_violation(session, check=v.check, summary=v.summary, source=source,
                                            severity=severity, value=v.value, detail=f"limit: {v.limit}",
                                            run_id=run_id)
        (changes.opened if opened else changes.updated).append(incident.id)
    resolved = resolve_passing(session, checks=[v.check for v in verdicts if v.passed],
                               by=f"auto: check passed in {source}"[:100])
    changes.resolved = [r.id for r in resolved]
    changes.still_open = owned_open_checks(session)
    return changes


def owned_open_checks(session: Session) -> list[str]:
    checks = session.scalars(select(Incident.check).where(Incident.resolved_at.is_(None)).order_by(Incident.check))
    return [c for c in checks if c.startswith(NAMESPACES)]


def open_incidents(session: Session) -> list[IncidentView]:
    from erp_models.ops.incidents import list_incidents

    return [i for i in list_incidents(session, unresolved_only=True) if i.check.startswith(NAMESPACES)]
