"""The cutover Gantt: per step the planned bar (from the estimates) beside the actual bar (from the journal).

Two panels sharing the rows rather than one axis: a rehearsal's steps take seconds where the estimates say minutes
or hours, so on one linear axis the actual bars would vanish, and a log axis would hide where each step began.
Each panel picks its own unit (seconds, minutes or hours) from its span and says which in its axis label.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from erp_models.cutover.journal import CutoverJournal, CutoverMode, StepRecord, StepStatus, planned_schedule
from erp_models.cutover.steps import StepKind
from tasks.charts.style import BLUE, GREEN, GREY, ORANGE, RED, TODAY, font, legible, new_figure, save_png

if TYPE_CHECKING:
    from matplotlib.axes import Axes

PLANNED_FILL = "#c6dbef"
STATUS_COLOURS = {StepStatus.PASSED: GREEN, StepStatus.FAILED: RED, StepStatus.RUNNING: BLUE}
ROLLBACK = "rollback"


def cutover_gantt_png(journal: CutoverJournal, out: Path) -> Path:
    """Draw the planned timeline (left) and the actual one (right), one row per step, and write `out` as a PNG."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = len(journal.steps) + (journal.rollback_s is not None)
    figure = new_figure(10, min(9.0, max(3.2, 1.9 + 0.38 * rows)))
    planned_axes, actual_axes = figure.subplots(1, 2, sharey=True)
    _draw_planned(planned_axes, journal)
    _draw_actual(actual_axes, journal)
    labels = [legible(f"{n}  {s.name}", s.name) for n, s in enumerate(journal.steps, start=1)]
    planned_axes.set_yticks(range(rows), labels + [ROLLBACK] * (rows - len(labels)))
    for label in planned_axes.get_yticklabels():
        label.set_fontproperties(font(9))
    planned_axes.set_ylim(max(rows, 1) - 0.5, -0.5)  # first step on top
    for axes in (planned_axes, actual_axes):
        axes.grid(axis="x", color="#e0e0e0", linewidth=0.8)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
    mode = journal.mode.value
    figure.suptitle(legible(f"Cutover {mode}: {journal.name}", f"Cutover {mode}"), x=0.01, ha="left",
                    fontproperties=font(12))
    present = {s.status for s in journal.steps if s.started_at is not None}
    handles: list[Patch | Line2D] = [Patch(color=PLANNED_FILL, label="planned (estimate)")]
    handles += [Patch(color=colour, label=str(status)) for status, colour in STATUS_COLOURS.items()
                if status in present]
    if journal.rollback_s is not None:
        handles.append(Patch(color=ORANGE, label="rollback"))
    handles.append(Line2D([], [], color=TODAY, linestyle="--", label="switch"))
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, prop=font(8))
    return save_png(figure, out)


def _unit(span_s: float) -> tuple[str, float]:
    if span_s <= 180:
        return "seconds", 1.0
    if span_s <= 5 * 3600:
        return "minutes", 60.0
    return "hours", 3600.0


def _short(seconds: float) -> str:
    """'0.25 s' for what a rehearsal measures, '30m' or '1h05m' for estimates and limits."""
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{minutes}m{rest:02d}s" if rest else f"{minutes}m"


def _draw_planned(axes: Axes, journal: CutoverJournal) -> None:
    planned = planned_schedule(journal.steps)
    ends = [finish for _, finish in planned.values()]
    rollback_from = _planned_rollback_start(journal, planned)
    if rollback_from is not None:
        ends.append(rollback_from + journal.rto_s)
    name, per = _unit(max(ends, default=1.0))
    for row, step in enumerate(journal.steps):
        start, finish = planned[step.name]
        axes.barh(row, (finish - start) / per, left=start / per, height=0.55, color=PLANNED_FILL, zorder=2)
    if rollback_from is not None:
        row = len(journal.steps)
        axes.barh(row, journal.rto_s / per, left=rollback_from / per, height=0.55, color="none",
                  edgecolor=ORANGE, hatch="//", zorder=2)
        axes.annotate(f"RTO {_short(journal.rto_s)}", xy=((rollback_from + journal.rto_s) / per, row),
                      xytext=(4, 0), textcoords="offset points", va="center", fontproperties=font(8), color=ORANGE)
    switch = next((s for s in journal.steps if s.kind == StepKind.SWITCH), None)
    if switch is not None:
        _mark_switch(axes, planned[switch.name][0] / per, "switch (planned)")
    axes.set_xlim(0, max(ends, default=1.0) / per * 1.08)
    axes.set_xlabel(f"{name} from the start, planned", fontproperties=font(9))
    axes.set_title("Planned, from the estimates", loc="left", fontproperties=font(10))


def _planned_rollback_start(journal: CutoverJournal, planned: dict[str, tuple[float, float]]) -> float | None:
    """Where a rollback begins on the planned timeline: after the failed step, else (a drill) before the switch."""
    if journal.rollback_s is None:
        return None
    if journal.failed_step in planned:
        return planned[journal.failed_step][1]
    pre_switch = [planned[s.name][1] for s in journal.steps if s.pre_switch]
    return max(pre_switch, default=0.0)


def _seconds_since(journal: CutoverJournal, moment: datetime) -> float:
    return (moment - journal.started_at).total_seconds()


def _draw_actual(axes: Axes, journal: CutoverJournal) -> None:
    stamps = [_seconds_since(journal, t) for s in journal.steps for t in (s.started_at, s.finished_at) if t]
    if journal.finished_at is not None:
        stamps.append(_seconds_since(journal, journal.finished_at))
    rollback = _rollback_span(journal)
    if rollback is not None:
        stamps.append(rollback[1])
    span = max(stamps, default=0.0) or 1.0
    name, per = _unit(span)
    for row, step in enumerate(journal.steps):
        _draw_step(axes, row, step, journal, per, now=max(stamps, default=0.0))
    if rollback is not None:
        start, end = rollback
        row = len(journal.steps)
        axes.barh(row, (end - start) / per, left=start / per, height=0.55, color=ORANGE, zorder=3)
        verdict = "within" if (journal.rollback_s or 0.0) <= journal.rto_s else "over"
        axes.annotate(f"{_short(end - start)} ({verdict} RTO {_short(journal.rto_s)})", xy=(end / per, row),
                      xytext=(4, 0), textcoords="offset points", va="center", fontproperties=font(8), color=ORANGE)
    if journal.switched_at is not None:
        _mark_switch(axes, _seconds_since(journal, journal.switched_at) / per, "switch")
    if not any(s.finished_at for s in journal.steps):
        axes.text(0.5, 0.5, "No step has finished yet", transform=axes.transAxes, ha="center",
                  fontproperties=font(10), color=GREY)
    axes.set_xlim(0, span / per * 1.25)  # room for the duration labels
    axes.set_xlabel(f"{name} from the start, actual", fontproperties=font(9))
    mode = "this rehearsal" if journal.mode is CutoverMode.REHEARSAL else "this run"
    axes.set_title(f"Actual, {mode}", loc="left", fontproperties=font(10))


def _draw_step(axes: Axes, row: int, step: StepRecord, journal: CutoverJournal, per: float, *, now: float) -> None:
    if step.started_at is None:  # skipped or pending: no bar, the word instead
        axes.annotate(str(step.status), xy=(0, row), xytext=(4, 0), textcoords="offset points", va="center",
                      fontproperties=font(8), color=GREY)
        return
    start = _seconds_since(journal, step.started_at)
    colour = STATUS_COLOURS.get(step.status, GREY)
    if step.finished_at is None:  # still running, or cut off: drawn up to the last moment the journal knows
        axes.barh(row, (now - start) / per, left=start / per, height=0.55, color="none", edgecolor=colour,
                  hatch="..", zorder=3)
        label = f"{step.status}, unfinished"
        end = now
    else:
        end = _seconds_since(journal, step.finished_at)
        axes.barh(row, (end - start) / per, left=start / per, height=0.55, color=colour, zorder=3)
        label = _short(end - start) + (" failed" if step.status is StepStatus.FAILED else "")
    axes.annotate(label, xy=(end / per, row), xytext=(4, 0), textcoords="offset points", va="center",
                  fontproperties=font(8), color=colour)


def _rollback_span(journal: CutoverJournal) -> tuple[float, float] | None:
    """The rollback as seconds from the start: it begins when the failed step (or, in a drill, the last step) ended."""
    if journal.rollback_s is None:
        return None
    failed = next((s for s in journal.steps if s.name == journal.failed_step), None)
    if failed is not None and (failed.finished_at or failed.started_at):
        moments = [failed.finished_at or failed.started_at]
    else:
        moments = [s.finished_at for s in journal.steps]
    known = [_seconds_since(journal, m) for m in moments if m is not None]
    start = max(known, default=0.0)
    return start, start + journal.rollback_s


def _mark_switch(axes: Axes, x: float, label: str) -> None:
    axes.axvline(x, color=TODAY, linestyle="--", linewidth=1.2, zorder=4)
    axes.annotate(label, xy=(x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, 3), textcoords="offset points",
                  fontproperties=font(8), color=TODAY)
