"""The business analysis' charts: revenue by channel and day, the ABC Pareto curve, and the top SKUs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from erp_models.ops.analysis import AbcClass, SkuFigures
from erp_models.ops.analysis_data import ChannelDay
from tasks.charts.style import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    RED,
    day_number,
    font,
    format_dates,
    legible,
    new_figure,
    save_png,
)

ABC_COLOURS = {AbcClass.A: GREEN, AbcClass.B: ORANGE, AbcClass.C: GREY}
CHANNEL_COLOURS = (BLUE, ORANGE, GREEN, RED, "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _major(minor: int) -> float:
    return minor / 100


def render_sales_by_day(rows: Sequence[ChannelDay], *, currency: str, out: Path) -> Path:
    """Stacked daily revenue per channel."""
    figure = new_figure(10, 4)
    axes = figure.subplots()
    days = sorted({r.day for r in rows})
    per_channel: dict[str, dict[object, int]] = defaultdict(dict)
    for r in rows:
        per_channel[r.channel][r.day] = per_channel[r.channel].get(r.day, 0) + r.revenue
    bottom = [0.0] * len(days)
    xs = [day_number(d) for d in days]
    for n, (channel, by_day) in enumerate(sorted(per_channel.items())):
        heights = [_major(by_day.get(d, 0)) for d in days]
        axes.bar(xs, heights, bottom=bottom, width=0.8, color=CHANNEL_COLOURS[n % len(CHANNEL_COLOURS)],
                 label=legible(channel, f"channel {n + 1}"))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    if not days:
        axes.text(0.5, 0.5, "No sales in the window", transform=axes.transAxes, ha="center", fontproperties=font(10))
    format_dates(axes.xaxis, 12)
    axes.set_ylabel(currency, fontproperties=font(9))
    axes.legend(loc="upper left", frameon=False, prop=font(8))
    _tidy(axes)
    figure.suptitle("Revenue by channel and day", x=0.01, ha="left", fontproperties=font(13))
    return save_png(figure, out)


def render_pareto(figures: Sequence[SkuFigures], *, a_share: float, b_share: float, out: Path) -> Path:
    """Cumulative revenue share over the SKUs ranked by revenue, coloured by ABC class."""
    sold = [f for f in figures if f.revenue > 0]
    figure = new_figure(10, 4)
    axes = figure.subplots()
    for cls in AbcClass:
        points = [(n, f.cumulative_share * 100) for n, f in enumerate(sold, start=1) if f.abc is cls]
        if points:
            axes.scatter([p[0] for p in points], [p[1] for p in points], s=6, color=ABC_COLOURS[cls],
                         label=f"{cls.value}: {len(points)} SKUs")
    for share in (a_share, b_share):
        axes.axhline(share * 100, color=GREY, linestyle=":", linewidth=1)
    axes.set_ylim(0, 102)
    axes.set_xlabel("SKUs ranked by revenue", fontproperties=font(9))
    axes.set_ylabel("cumulative revenue %", fontproperties=font(9))
    axes.legend(loc="lower right", frameon=False, prop=font(8))
    _tidy(axes)
    figure.suptitle("ABC classification (Pareto)", x=0.01, ha="left", fontproperties=font(13))
    return save_png(figure, out)


def render_top_skus(figures: Sequence[SkuFigures], *, top_n: int, currency: str, out: Path) -> Path:
    """The top sellers by revenue, their product names as labels (Chinese where a font renders it)."""
    top = [f for f in figures if f.revenue > 0][:top_n]
    figure = new_figure(10, max(2.5, 0.4 * len(top) + 1))
    axes = figure.subplots()
    rows = range(len(top))
    axes.barh(rows, [_major(f.revenue) for f in top], color=[ABC_COLOURS[f.abc] for f in top], height=0.7)
    axes.set_yticks(rows, [f"{f.sku}  {legible(f.name, '')[:36]}" for f in top])
    for label in axes.get_yticklabels():
        label.set_fontproperties(font(8))
    axes.set_ylim(len(top) - 0.5, -0.5)
    axes.set_xlabel(currency, fontproperties=font(9))
    _tidy(axes)
    figure.suptitle(f"Top {len(top)} SKUs by revenue", x=0.01, ha="left", fontproperties=font(13))
    return save_png(figure, out)


def _tidy(axes: object) -> None:
    from matplotlib.axes import Axes

    assert isinstance(axes, Axes)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_axisbelow(True)
    axes.tick_params(labelsize=8)
