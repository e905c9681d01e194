"""The monitor's chart: the key figures of the last runs, one small panel each, failed runs marked red."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from erp_models.ops.monitor_samples import SampleView
from tasks.charts.style import BLUE, GREEN, RED, font, new_figure, save_png

PANELS = (("api.read_p95_ms", "API read p95 (ms)"), ("api.health_p95_ms", "health p95 (ms)"),
          ("db.connections_ratio", "connections / max"), ("db.longest_transaction_s", "longest transaction (s)"),
          ("outbox.lag_min", "outbox lag (min)"), ("kpi.orders_per_hour", "orders per hour"),
          ("kpi.fill_rate", "fill rate"), ("invariants.violations", "invariant violations"))


def monitor_history_png(samples: Sequence[SampleView], out: Path) -> Path:
    """Each key figure over the runs (oldest left); a red dot is a run that failed, a green one a run that passed."""
    figure = new_figure(10, 5.2)
    grid = figure.subplots(2, 4)
    runs = list(range(1, len(samples) + 1))
    for axes, (check, title) in zip(grid.flat, PANELS, strict=True):
        points = [(n, s.figures.get(check), s.passed) for n, s in zip(runs, samples, strict=True)]
        measured = [(n, float(v), ok) for n, v, ok in points if v is not None]
        axes.set_title(title, fontproperties=font(9))
        axes.spines[["top", "right"]].set_visible(False)
        axes.tick_params(labelsize=7)
        if not measured:
            axes.text(0.5, 0.5, "not measured", ha="center", va="center", transform=axes.transAxes,
                      fontproperties=font(8), color="#777777")
            continue
        axes.plot([n for n, _, _ in measured], [v for _, v, _ in measured], color=BLUE, linewidth=1)
        axes.scatter([n for n, _, _ in measured], [v for _, v, _ in measured], s=12, zorder=3,
                     c=[GREEN if ok else RED for _, _, ok in measured])
        axes.set_xlim(0.5, max(len(samples), 2) + 0.5)
    figure.suptitle(f"Monitor: the last {len(samples)} runs (newest right)", x=0.01, ha="left",
                    fontproperties=font(11))
    return save_png(figure, out)
