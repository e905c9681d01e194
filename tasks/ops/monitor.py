"""The monitor's probes as Prefect tasks: each opens its own unit of work and returns a small `Probe` summary."""

from __future__ import annotations

from prefect import task
from sqlalchemy.exc import OperationalError

from erp_models.ops import monitor_probes as probes
from erp_models.ops.monitor import Probe, database_probe, invariants_probe, kpi_probe, outbox_probe
from erp_models.ops.monitor_samples import previous_size
from erp_models.ops.monitor_spec import MonitorSpec
from infra.db import UnitOfWork, describe_connection_error
from infra.stack import database_url


def database_name() -> str:
    """The ERP database's name: the monitor's events name it as their resource (`erpops.erp.<name>`)."""
    from sqlalchemy.engine import make_url

    return make_url(database_url()).database or "erp"


@task(task_run_name="probe the database")
def probe_database() -> Probe:
    """Reachability, connections against the maximum, the longest transaction, lock waits, bloat and growth."""
    try:
        with UnitOfWork() as uow:
            before = previous_size(uow.session, database=database_name())
            return database_probe(uow.session, previous_size=before)
    except OperationalError as exc:
        return Probe(figures={"db.reachable": 0.0},
                     notes={"db.reachable": describe_connection_error(database_url(), exc)})


@task(task_run_name="check the invariants")
def check_invariants() -> Probe:
    """The `erpops db check` set: ledger against on_hand, reservations, orphans, duplicate channel orders, ..."""
    with UnitOfWork() as uow:
        return invariants_probe(uow.session)


@task(task_run_name="check live data quality (GX)")
def check_live_quality(spec: MonitorSpec) -> Probe:
    """GX expectations over recent orders and lines, open reservations and active SKUs' prices."""
    from expectations.live import live_checks, validate_live

    with UnitOfWork() as uow:
        frames = {"orders": probes.recent_orders(uow.session, days=spec.recent_days),
                  "order_lines": probes.recent_order_lines(uow.session, days=spec.recent_days),
                  "reservations": probes.open_reservations(uow.session),
                  "sku_prices": probes.active_sku_prices(uow.session)}
    results = validate_live(frames, live_checks(stale_reservation_days=spec.stale_reservation_days))
    return Probe(figures={r.check: float(r.failing) for r in results},
                 notes={r.check: f"{r.failing} of {r.rows} rows, e.g. {', '.join(r.sample_keys)}"
                        for r in results if r.failing})


@task(task_run_name="measure the outbox lag")
def probe_outbox() -> Probe:
    with UnitOfWork() as uow:
        return outbox_probe(uow.session)


@task(task_run_name="measure the KPIs")
def measure_kpis(spec: MonitorSpec) -> Probe:
    """Orders per hour by channel, fill rate, stock-outs and days of cover of the best sellers."""
    with UnitOfWork() as uow:
        return kpi_probe(uow.session, spec)
