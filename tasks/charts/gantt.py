"""The Gantt timeline: phases as bars coloured by status, milestones as diamonds on their due date, and today."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from erp_models.project.status import TimelineItem
from tasks.charts.style import (
    BLUE,
    DARK_GREEN,
    GREEN,
    GREY,
    ORANGE,
    RED,
    TODAY,
    day_number,
    font,
    format_dates,
    legible,
    new_figure,
    save_png,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

PHASE_COLOURS = {"planned": GREY, "in_progress": BLUE, "done": GREEN, "late": RED}
MILESTONE_COLOURS = {"pending": ORANGE, "awaiting_approval": BLUE, "passed": GREEN, "approved": DARK_GREEN,
                     "failed": RED, "rejected": RED}
STATUS_LABELS = {"in_progress": "in progress", "awaiting_approval": "awaiting approval"}


def render_gantt(
    items: Sequence[TimelineItem], *, today: date, out: Path, title: str = "Project timeline"
) -> Path:
    """Draw `items` top to bottom in the given order and write the chart to `out` as a PNG."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    figure = new_figure(10, min(9.0, max(3.0, 1.6 + 0.4 * len(items))))
    axes = figure.add_subplot()
    for row, item in enumerate(items):
        if item.kind == "milestone":
            _draw_milestone(axes, row, item)
        else:
            _draw_phase(axes, row, item)

    axes.axvline(_midday(today), color=TODAY, linestyle="--", linewidth=1.2, zorder=4)
    axes.annotate(
        f"today {today:%m-%d}", xy=(_midday(today), 1.0), xycoords=("data", "axes fraction"), xytext=(3, 3),
        textcoords="offset points", fontproperties=font(8), color=TODAY,
    )
    days = [day for item in items for day in (item.start, item.end)] + [today]
    axes.set_xlim(day_number(min(days) - timedelta(days=3)), day_number(max(days) + timedelta(days=7)))
    format_dates(axes.xaxis, max_ticks=10)
    axes.set_yticks(range(len(items)), [legible(f"{item.code}  {item.name}", item.code) for item in items])
    for label in axes.get_yticklabels():
        label.set_fontproperties(font(9))
    axes.set_ylim(max(len(items), 1) - 0.5, -0.5)  # first item on top
    axes.grid(axis="x", color="#e0e0e0", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    if not items:
        axes.text(0.5, 0.5, "No phases or milestones planned yet", transform=axes.transAxes, ha="center",
                  fontproperties=font(11), color=GREY)
    axes.set_title(legible(title, "Project timeline"), loc="left", fontproperties=font(14))

    present = {(item.kind == "milestone", item.status) for item in items}
    handles: list[Patch | Line2D] = [
        Patch(color=colour, label=STATUS_LABELS.get(status, status))
        for status, colour in PHASE_COLOURS.items() if (False, status) in present
    ] + [
        Line2D([], [], marker="D", linestyle="", color=colour, markeredgecolor="white",
               label=f"milestone {STATUS_LABELS.get(status, status)}")
        for status, colour in MILESTONE_COLOURS.items() if (True, status) in present
    ]
    if handles:
        figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), frameon=False,
                      prop=font(8))
    return save_png(figure, out)


def _midday(day: date) -> float:
    # Bars cover whole days, so a due date or today sits in the middle of its day.
    return day_number(day) + 0.5


def _draw_phase(axes: Axes, row: int, item: TimelineItem) -> None:
    start = day_number(item.start)
    days = (item.end - item.start).days + 1  # the end day is part of the phase
    axes.barh(row, days, left=start, height=0.55, color=PHASE_COLOURS.get(item.status, GREY), zorder=2)


def _draw_milestone(axes: Axes, row: int, item: TimelineItem) -> None:
    due = _midday(item.end)
    colour = MILESTONE_COLOURS.get(item.status, GREY)
    axes.scatter([due], [row], marker="D", s=70, color=colour, edgecolors="white", linewidths=0.8, zorder=5)
    axes.annotate(f"{item.end:%m-%d}", xy=(due, row), xytext=(7, -3), textcoords="offset points",
                  fontproperties=font(8), color=colour)
