"""PNG charts for project managers (timeline, budget burn, cutover timeline), drawn with matplotlib's Agg backend."""

from tasks.charts.budget import render_budget_burn
from tasks.charts.cutover import cutover_gantt_png
from tasks.charts.gantt import render_gantt
from tasks.charts.style import png_data_uri

__all__ = ["cutover_gantt_png", "png_data_uri", "render_budget_burn", "render_gantt"]
