"""PNG charts for project managers (the Gantt timeline and the budget burn), rendered with matplotlib's Agg backend."""

from tasks.charts.budget import render_budget_burn
from tasks.charts.gantt import render_gantt
from tasks.charts.style import png_data_uri

__all__ = ["png_data_uri", "render_budget_burn", "render_gantt"]
