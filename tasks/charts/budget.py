"""The budget burn: budget against spend per phase, and cumulative spend against a straight planned burn."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from erp_models.project.status import BudgetBurn
from tasks.charts.style import BLUE, GREY, RED, TODAY, day_number, font, format_dates, legible, new_figure, save_png

if TYPE_CHECKING:
    from matplotlib.axes import Axes

BUDGET_FILL = "#d9d9d9"


def render_budget_burn(burn: BudgetBurn, *, today: date, out: Path, title: str = "Budget burn") -> Path:
    """Draw the per-phase panel beside the burn-up panel and write the chart to `out` as a PNG."""
    from matplotlib.ticker import FuncFormatter

    figure = new_figure(10, 5)
    per_phase, over_time = figure.subplots(1, 2, width_ratios=[1, 1.15])
    _draw_phases(per_phase, burn)
    _draw_burn_up(over_time, burn, today)
    amounts = FuncFormatter(lambda value, _position: f"{value:,.0f}")
    per_phase.xaxis.set_major_formatter(amounts)
    over_time.yaxis.set_major_formatter(amounts)
    for axes in (per_phase, over_time):
        axes.spines[["top", "right"]].set_visible(False)
        axes.set_axisbelow(True)
        axes.tick_params(labelsize=8)
    figure.suptitle(legible(title, "Budget burn"), x=0.01, ha="left", fontproperties=font(14))
    return save_png(figure, out)


def _major(minor: int) -> float:
    return minor / 100


def _draw_phases(axes: Axes, burn: BudgetBurn) -> None:
    from matplotlib.patches import Patch

    rows = range(len(burn.phases))
    budgets = [_major(phase.budget_minor) for phase in burn.phases]
    spent = [_major(phase.spent_minor) for phase in burn.phases]
    overrun = [phase.spent_minor > phase.budget_minor for phase in burn.phases]
    axes.barh(rows, budgets, height=0.7, color=BUDGET_FILL, label="budget")
    axes.barh(rows, spent, height=0.36, color=[RED if over else BLUE for over in overrun], label="spent")
    for row, phase in enumerate(burn.phases):
        share = f"{phase.spent_minor / phase.budget_minor:.0%}" if phase.budget_minor else "no budget"
        axes.annotate(share, xy=(max(budgets[row], spent[row]), row), xytext=(4, 0), textcoords="offset points",
                      va="center", fontproperties=font(8), color=RED if overrun[row] else "#333333")
    axes.set_yticks(rows, [legible(phase.phase_name, phase.phase_code) for phase in burn.phases])
    for label in axes.get_yticklabels():
        label.set_fontproperties(font(9))
    axes.set_ylim(max(len(burn.phases), 1) - 0.5, -0.5)  # first phase on top
    axes.margins(x=0.15)  # room for the percentages
    axes.grid(axis="x", color="#e0e0e0", linewidth=0.8)
    axes.set_xlabel(f"{burn.currency}", fontproperties=font(9))
    axes.set_title("Budget vs spent per phase", loc="left", fontproperties=font(10))
    handles = [Patch(color=BUDGET_FILL, label="budget"), Patch(color=BLUE, label="spent")]
    if any(overrun):
        handles.append(Patch(color=RED, label="spent, over budget"))
    axes.legend(handles=handles, loc="lower right", frameon=False, prop=font(8))


def _draw_burn_up(axes: Axes, burn: BudgetBurn, today: date) -> None:
    total = _major(burn.total_budget_minor)
    plan = [day_number(burn.starts_on), day_number(burn.ends_on)]
    axes.plot(plan, [0, total], color=GREY, linestyle="--", linewidth=1.2, label="planned")
    axes.axhline(total, color=GREY, linestyle=":", linewidth=1, label=f"total budget {total:,.0f}")
    if burn.spend_over_time:
        days = [day_number(day) for day, _ in burn.spend_over_time]
        spent = [_major(amount) for _, amount in burn.spend_over_time]
        colour = RED if burn.spend_over_time[-1][1] > burn.total_budget_minor else BLUE
        axes.plot(days, spent, color=colour, linewidth=2, marker="o", markersize=3, drawstyle="steps-post",
                  label=f"spent {spent[-1]:,.0f}")
    else:
        axes.text(0.5, 0.5, "No spend recorded yet", transform=axes.transAxes, ha="center",
                  fontproperties=font(10), color=GREY)
    axes.axvline(day_number(today), color=TODAY, linestyle="--", linewidth=1.2)
    axes.annotate(f"today {today:%m-%d}", xy=(day_number(today), 1.0), xycoords=("data", "axes fraction"),
                  xytext=(3, -10), textcoords="offset points", fontproperties=font(8), color=TODAY)
    format_dates(axes.xaxis, max_ticks=8)
    highest = max([total, *(_major(amount) for _, amount in burn.spend_over_time)])
    axes.set_ylim(0, highest * 1.12 or 1)  # headroom keeps the total-budget line clear of the today label
    axes.grid(color="#e0e0e0", linewidth=0.8)
    axes.set_ylabel(f"cumulative, {burn.currency}", fontproperties=font(9))
    axes.set_title("Cumulative spend vs planned burn", loc="left", fontproperties=font(10))
    axes.legend(loc="lower right", frameon=False, prop=font(8))  # the planned burn leaves that corner empty
