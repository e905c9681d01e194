"""The monitor's artifacts: the status (markdown with the chart of the last runs) and the table of checks.
Stable keys, so the Prefect UI shows the newest version of each and keeps the history."""

from __future__ import annotations

import tempfile
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from erp_models.ops.monitor_samples import recent_samples
from erp_models.ops.monitor_spec import MonitorSpec
from infra.db import UnitOfWork
from tasks.charts.monitor import monitor_history_png
from tasks.charts.style import png_data_uri
from tasks.ops.monitor_report import MonitorOutcome, MonitorStatus

STATUS_KEY = "ops-monitor-status"
CHECKS_KEY = "ops-monitor-checks"


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def status_markdown(outcome: MonitorOutcome, chart_uri: str | None, runs: int) -> str:
    mark = "PASSED" if outcome.status is MonitorStatus.PASSED else "FAILED"
    lines = [f"# Monitor {mark}: {outcome.database}", ""]
    if outcome.reason:
        lines += [f"**{outcome.reason}**", ""]
    lines += [f"- checks: {len(outcome.checks)}, violated now: {len(outcome.violations)}; incidents opened "
              f"{len(outcome.incidents.opened)}, updated {len(outcome.incidents.updated)}, resolved "
              f"{len(outcome.incidents.resolved)}; still open: {', '.join(outcome.open_incidents) or 'none'}",
              "- orders per hour by channel: " + (", ".join(f"{c} {v:g}" for c, v in outcome.by_channel.items())
                                                  or "no orders in the window")]
    if outcome.top_skus:
        lines += ["", "| top SKU | sold in window | available | days of cover |", "|---|---:|---:|---:|"]
        lines += [f"| {s.sku} | {s.sold} | {s.available} | {_shown(s.days_of_cover)} |" for s in outcome.top_skus]
    if chart_uri:
        lines += ["", f"![the last {runs} monitor runs]({chart_uri})"]
    lines += ["", "Incidents: `erpops ops incidents list`; acknowledge with `erpops ops incidents ack N --by NAME`."]
    return "\n".join(lines)


@task(task_run_name="publish the monitor status")
def publish_monitor_artifacts(outcome: MonitorOutcome, spec: MonitorSpec) -> None:
    chart_uri, runs = None, 0
    if outcome.checks and any(r.check == "db.reachable" and r.value for r in outcome.checks):
        with UnitOfWork() as uow:
            samples = recent_samples(uow.session, database=outcome.database, limit=spec.chart_runs)
        runs = len(samples)
        if samples:
            with tempfile.TemporaryDirectory(prefix="erpops-monitor-") as folder:
                chart_uri = png_data_uri(monitor_history_png(samples, Path(folder) / "monitor.png"))
    create_markdown_artifact(status_markdown(outcome, chart_uri, runs), key=STATUS_KEY,
                             description=f"monitor {outcome.status.value}: {outcome.database}")
    create_table_artifact([{"check": r.check, "value": _shown(r.value), "limit": r.limit or "-",
                            "status": "ok" if r.passed else "VIOLATED", "summary": r.summary}
                           for r in outcome.checks], key=CHECKS_KEY, description="the monitor's checks, this run")
