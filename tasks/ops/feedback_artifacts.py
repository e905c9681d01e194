"""The feedback review's artifacts, under stable keys so the Prefect UI keeps their history: the backlog (a table),
the SLA breaches (markdown) and the weekly trend (markdown with its chart)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from tasks.charts.feedback import feedback_trend_png
from tasks.charts.style import png_data_uri
from tasks.ops.feedback import FeedbackReview, ReviewStatus

BACKLOG_KEY = "ops-feedback-backlog"
BREACHES_KEY = "ops-feedback-sla"
TREND_KEY = "ops-feedback-trend"


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def breaches_markdown(review: FeedbackReview) -> str:
    sla = ", ".join(f"{severity} {hours:g} h" for severity, hours in review.sla_hours.items())
    mark = "PASSED" if review.status is ReviewStatus.PASSED else "FAILED"
    lines = [f"# Feedback SLA {mark}", "", f"SLA from creation: {sla}. Open items: {len(review.backlog)}; past "
             f"their SLA: {len(review.breaches)}.", ""]
    if review.reason:
        lines += [f"**{review.reason}**", ""]
    breached = [r for r in review.backlog if r.breached]
    if breached:
        lines += ["| # | severity | module | title | owner | age (h) | SLA (h) | over by (h) |",
                  "|---:|---|---|---|---|---:|---:|---:|"]
        lines += [f"| {r.id} | {r.severity} | {r.module} | {r.title.replace('|', '/')} | {r.owner or 'none'} | "
                  f"{r.age_h:g} | {_hours(r.sla_h)} | {r.overdue_h:g} |" for r in breached]
    if review.incident:
        lines += ["", f"Incident: {review.incident} (`erpops ops incidents list`)."]
    lines += ["", "Triage with `erpops feedback triage ID --severity S --owner NAME`; resolve with "
              "`erpops feedback set-status ID resolved --change v1.2.3 --by NAME`."]
    return "\n".join(lines)


def trend_markdown(review: FeedbackReview, chart_uri: str) -> str:
    opened = sum(w.opened for w in review.trend)
    resolved = sum(w.resolved for w in review.trend)
    return "\n".join([f"# Feedback trend: {len(review.trend)} weeks", "",
                      f"Opened {opened}, resolved {resolved}; open now {len(review.backlog)}.", "",
                      f"![feedback opened and resolved per week]({chart_uri})", "",
                      "| week | opened | resolved |", "|---|---:|---:|",
                      *(f"| {w.week} | {w.opened} | {w.resolved} |" for w in review.trend)])


@task(task_run_name="publish the feedback review")
def publish_feedback_artifacts(review: FeedbackReview) -> None:
    create_table_artifact([{"id": r.id, "severity": r.severity, "status": r.status, "module": r.module,
                            "title": r.title, "owner": r.owner or "-", "milestone": r.milestone or "-",
                            "role": r.role or "-", "age_h": r.age_h, "sla_h": _hours(r.sla_h),
                            "breached": "BREACHED" if r.breached else "ok"} for r in review.backlog],
                          key=BACKLOG_KEY, description=f"open feedback: {len(review.backlog)} items, "
                          f"{len(review.breaches)} past SLA")
    create_markdown_artifact(breaches_markdown(review), key=BREACHES_KEY,
                             description=f"feedback SLA {review.status.value}: {len(review.breaches)} breaches")
    weeks = [(w.week, w.opened, w.resolved) for w in review.trend]
    with tempfile.TemporaryDirectory(prefix="erpops-feedback-") as folder:
        chart = png_data_uri(feedback_trend_png(weeks, len(review.backlog), Path(folder) / "trend.png"))
    create_markdown_artifact(trend_markdown(review, chart), key=TREND_KEY,
                             description="feedback opened and resolved per week")
