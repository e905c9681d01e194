"""The cutover as the PM reads it in the Prefect UI: verdict, fingerprints, rollback against the RTO, go/no-go,
then every step's estimate, actual time and drift, the Gantt, and the earlier rehearsals.

Pure functions returning strings and rows; the flow hands them to `create_markdown_artifact` and
`create_table_artifact`. Tables stay narrow (short columns, details cut at 80 characters) to read at 1280 px.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from erp_models.cutover.journal import (
    CutoverJournal,
    CutoverMode,
    CutoverStatus,
    StepRecord,
    StepStatus,
    drift,
    planned_schedule,
)
from tasks.charts.cutover import cutover_gantt_png
from tasks.charts.style import png_data_uri

__all__ = ["cutover_gantt_png", "cutover_markdown", "cutover_step_rows"]

VERDICTS = {CutoverStatus.PASSED: "✔ passed", CutoverStatus.ROLLED_BACK: "✘ rolled back",
            CutoverStatus.FAILED: "✘ failed", CutoverStatus.RUNNING: "running, not finished"}
STEP_MARKS = {StepStatus.PASSED: "✔ passed", StepStatus.FAILED: "✘ failed", StepStatus.SKIPPED: "– skipped",
              StepStatus.PENDING: "pending", StepStatus.RUNNING: "running"}
DETAIL_CHARS = 80
PREVIOUS_SHOWN = 10


def duration(seconds: float) -> str:
    """An estimate or a limit as the runbook writes it: '15m', '1h30m', '90s'."""
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{rest}s" if rest else "") or "0s"


def seconds(value: float | None, *, signed: bool = False) -> str:
    """A measured time in seconds, to the millisecond the journal keeps ('12.345 s', '+0.5 s'); '–' when none."""
    if value is None:
        return "–"
    if signed and value == 0:
        return "±0 s"
    text = f"{value:{'+' if signed else ''},.3f}".rstrip("0").rstrip(".")
    return f"{text} s"


def _cell(text: str, limit: int = DETAIL_CHARS) -> str:
    flat = " ".join(text.split())
    flat = flat if len(flat) <= limit else flat[: limit - 1] + "…"
    return flat.replace("|", "\\|")


def _when(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


def _unique_previous(journal: CutoverJournal, previous: Sequence[CutoverJournal]) -> list[CutoverJournal]:
    # A resumed run may find its own earlier journal among the previous ones; it is not an earlier run.
    return [p for p in previous if p.run_id != journal.run_id]


def _numbered(journal: CutoverJournal, earlier: Sequence[CutoverJournal]) -> list[tuple[int, StepRecord, float | None]]:
    drifts = drift(journal, list(earlier))
    return [(n, s, drifts[s.name]) for n, s in enumerate(journal.steps, start=1)]


def cutover_step_rows(journal: CutoverJournal, previous: Sequence[CutoverJournal] = ()) -> list[dict[str, object]]:
    """One row per step for the table artifact, with the numbers the markdown shows (the detail uncut)."""
    return [{"#": n, "step": s.name, "kind": s.kind, "owner": s.owner, "status": s.status.value,
             "estimate_s": s.estimate_s, "actual_s": s.actual_s, "drift_s": drift_s, "pre_switch": s.pre_switch,
             "detail": s.detail} for n, s, drift_s in _numbered(journal, _unique_previous(journal, previous))]


def cutover_markdown(journal: CutoverJournal, previous: Sequence[CutoverJournal], gantt_png: Path | None) -> str:
    """The markdown artifact: the verdict and its evidence first, then the steps, the Gantt, the earlier runs."""
    earlier = _unique_previous(journal, previous)
    lines = [f"# {VERDICTS[journal.status]}: cutover {journal.mode.value}", "", *_summary(journal), "",
             "## Steps", "", _drift_note(earlier), "",
             "| # | step | kind | owner | status | estimate | actual | drift | detail |",
             "|--:|---|---|---|---|--:|--:|--:|---|"]
    for n, s, drift_s in _numbered(journal, earlier):
        lines.append(f"| {n} | {s.name} | {s.kind} | {_cell(s.owner, 24)} | {STEP_MARKS[s.status]} | "
                     f"{duration(s.estimate_s)} | {seconds(s.actual_s)} | {seconds(drift_s, signed=True)} | "
                     f"{_cell(s.detail)} |")
    if gantt_png is not None:
        lines += ["", "## Timeline", "", f"![Cutover timeline: planned from the estimates, and actual]"
                                         f"({png_data_uri(gantt_png)})"]
    lines += ["", "## Previous rehearsals and runs", "", *_previous_table(earlier)]
    return "\n".join(lines)


def _summary(journal: CutoverJournal) -> list[str]:
    where = "a copy restored from a fresh backup" if journal.mode is CutoverMode.REHEARSAL else "the live ERP"
    planned_s = max((finish for _, finish in planned_schedule(journal.steps).values()), default=0.0)
    took = f"took {seconds(journal.duration_s)}" if journal.duration_s is not None else "still running"
    lines = [f"- **{journal.name}**, runbook `{journal.runbook}`, run `{journal.run_id}`",
             f"- **Mode:** {journal.mode.value} on `{journal.database}` ({where})",
             f"- **Time:** started {_when(journal.started_at)}, {took}; planned {duration(planned_s)} "
             "along the critical path"]
    if journal.failed_step is not None:
        step = journal.step(journal.failed_step)
        n = journal.steps.index(step) + 1
        side = "pre-switch" if step.pre_switch else "post-switch"
        injected = " (failure injected with --fail-at)" if journal.fail_at == journal.failed_step else ""
        lines.append(f"- **Failed step:** #{n} `{step.name}` ({side}){injected}: {_cell(journal.reason, 200)}")
    elif journal.reason:
        lines.append(f"- **Reason:** {_cell(journal.reason, 200)}")
    lines += [_fingerprints(journal), _rollback(journal), _go_no_go(journal)]
    return lines


def _rolled_back(journal: CutoverJournal) -> bool:
    return journal.rollback_s is not None or journal.status is CutoverStatus.ROLLED_BACK or journal.rollback_drill


def _fingerprints(journal: CutoverJournal) -> str:
    before, after = journal.fingerprint_before, journal.fingerprint_after
    shown = f"before `{(before or 'not taken')[:12]}`, after `{(after or 'not taken')[:12]}`"
    if before is None or after is None:
        return f"- **Fingerprint:** {shown}: not compared"
    if _rolled_back(journal):
        verdict = ("✔ match: the rollback restored the pre-cutover data" if before == after
                   else "✘ differ: the rollback did not restore the pre-cutover data")
    else:
        verdict = "match: the data is unchanged" if before == after else "differ: the cutover changed the data"
    return f"- **Fingerprint:** {shown}: {verdict}"


def _rollback(journal: CutoverJournal) -> str:
    rto = f"the RTO of {duration(journal.rto_s)} ({seconds(journal.rto_s)})"
    what = "Rollback drill" if journal.rollback_drill else "Rollback"
    if journal.rollback_s is not None:
        met = "✔ within" if journal.rollback_s <= journal.rto_s else "✘ over"
        return f"- **{what}:** {seconds(journal.rollback_s)}, {met} {rto}"
    if journal.status is CutoverStatus.ROLLED_BACK:
        return f"- **Rollback:** ✘ time not recorded; {rto} unchecked"
    if journal.failed_step is not None and not journal.step(journal.failed_step).pre_switch:
        return "- **Rollback:** none: the failure came after the switch, so nothing was restored over live orders"
    return f"- **Rollback:** none (would have to finish within {rto})"


def _go_no_go(journal: CutoverJournal) -> str:
    record = journal.go_no_go
    if record is None:
        return "- **Go/no-go:** not decided"
    decision = "✔ go" if record.approved else "✘ no-go"
    note = f": “{_cell(record.note, 120)}”" if record.note else ""
    return (f"- **Go/no-go:** {decision} by {record.approver} ({record.role}) at {_when(record.decided_at)}, "
            f"via {record.how}{note}")


def _drift_note(earlier: Sequence[CutoverJournal]) -> str:
    if not earlier:
        return "Drift: – (no earlier run to compare with)."
    return (f"Drift: actual minus the mean actual of the same step in {len(earlier)} earlier "
            f"run{'s' if len(earlier) > 1 else ''} (where it passed). Estimates are the runbook's.")


def _previous_table(earlier: Sequence[CutoverJournal]) -> list[str]:
    if not earlier:
        return ["None yet."]
    newest = sorted(earlier, key=lambda j: j.started_at, reverse=True)
    lines = ["| run | date | mode | status | duration | rollback |", "|---|---|---|---|--:|--:|"]
    for j in newest[:PREVIOUS_SHOWN]:
        lines.append(f"| `{j.run_id[:8]}` | {j.started_at:%Y-%m-%d %H:%M} | {j.mode.value} | {VERDICTS[j.status]} | "
                     f"{seconds(j.duration_s)} | {seconds(j.rollback_s)} |")
    if len(newest) > PREVIOUS_SHOWN:
        lines += ["", f"The {PREVIOUS_SHOWN} most recent of {len(newest)}."]
    return lines
