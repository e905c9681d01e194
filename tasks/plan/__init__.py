"""Prefect tasks of the plan phase: load the plan, judge milestone gates, and report the plan's standing."""
