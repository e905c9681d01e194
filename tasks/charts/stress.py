"""The stress chart: throughput (RPS) and p95 latency against the users of each step, with the knee marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tasks.charts.style import BLUE, GREEN, GREY, ORANGE, RED, font, new_figure, save_png


@dataclass(frozen=True)
class StepPoint:
    users: int
    rps: float
    p95_ms: float | None
    passed: bool


def render_stress(steps: Sequence[StepPoint], *, knee_users: int | None, criterion: str, out: Path,
                  title: str = "Stress: throughput and p95 per step") -> Path:
    """RPS as bars (green while the thresholds hold, red once broken), p95 as a line on the right axis."""
    figure = new_figure(9, 4.8)
    axes = figure.add_subplot()
    users = [s.users for s in steps]
    width = max(1.0, (min(b - a for a, b in zip(users, users[1:], strict=False)) if len(users) > 1 else 4) * 0.6)
    axes.bar(users, [s.rps for s in steps], width=width, color=[GREEN if s.passed else RED for s in steps],
             alpha=0.8, label="RPS (green: thresholds met)")
    axes.set_xlabel("users", fontproperties=font(9))
    axes.set_ylabel("requests per second", fontproperties=font(9), color=BLUE)
    latency = axes.twinx()
    measured = [(s.users, s.p95_ms) for s in steps if s.p95_ms is not None]
    if measured:
        latency.plot([u for u, _ in measured], [p for _, p in measured], color=ORANGE, marker="o", linewidth=2,
                     label="p95 (ms)")
    latency.set_ylabel("p95 latency, ms", fontproperties=font(9), color=ORANGE)
    latency.set_ylim(bottom=0)
    axes.set_ylim(0, max([s.rps for s in steps] + [1.0]) * 1.2)  # headroom for the legend and the knee's label
    if knee_users is not None:
        last = bool(users) and knee_users == users[-1]
        axes.axvline(knee_users, color=BLUE, linestyle="--", linewidth=1.5)
        axes.annotate(f"knee: {knee_users} users", xy=(knee_users, 1.0), xycoords=("data", "axes fraction"),
                      xytext=(-4 if last else 4, -14), textcoords="offset points", ha="right" if last else "left",
                      fontproperties=font(9), color=BLUE)
    else:
        axes.text(0.5, 0.92, "no knee: the first step already broke a threshold", transform=axes.transAxes,
                  ha="center", fontproperties=font(9), color=RED)
    axes.set_xticks(users)
    axes.grid(axis="y", color="#e0e0e0", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.set_title(title, loc="left", fontproperties=font(12))
    figure.text(0.01, 0.005, f"criterion: {criterion}"[:160], fontproperties=font(7), color=GREY)
    handles = axes.get_legend_handles_labels()[0] + latency.get_legend_handles_labels()[0]
    axes.legend(handles=handles, loc="upper left", frameon=False, prop=font(8))
    return save_png(figure, out)
