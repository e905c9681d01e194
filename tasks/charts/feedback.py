"""The feedback trend: items opened and resolved per week, side by side, with the backlog still open as a line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from tasks.charts.style import BLUE, GREEN, RED, font, new_figure, save_png


def feedback_trend_png(weeks: Sequence[tuple[date, int, int]], open_now: int, out: Path) -> Path:
    """Bars per ISO week (opened, resolved), oldest left; the net change drawn back from today's open backlog."""
    figure = new_figure(9, 4)
    axes = figure.subplots()
    rows = range(len(weeks))
    axes.bar([r - 0.2 for r in rows], [o for _, o, _ in weeks], width=0.4, color=RED, label="opened")
    axes.bar([r + 0.2 for r in rows], [s for _, _, s in weeks], width=0.4, color=GREEN, label="resolved")
    # The backlog at each week's end, counted back from now: what was open then = open now - later net changes.
    backlog, level = [], open_now
    for _, opened, resolved in reversed(weeks):
        backlog.append(max(level, 0))
        level -= opened - resolved
    axes.plot(list(rows), list(reversed(backlog)), color=BLUE, marker="o", markersize=3, label="open at week end")
    axes.set_xticks(list(rows), [f"{w:%m-%d}" for w, _, _ in weeks])
    for label in axes.get_xticklabels():
        label.set_fontproperties(font(8))
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # items are counted, never halved
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color="#e0e0e0", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    year = f", {weeks[0][0]:%Y}" if weeks else ""
    axes.set_xlabel(f"week starting (Monday){year}", fontproperties=font(9))
    axes.legend(loc="upper left", frameon=False, prop=font(8))
    figure.suptitle(f"Feedback per week, the last {len(weeks)} weeks", x=0.01, ha="left", fontproperties=font(11))
    return save_png(figure, out)
