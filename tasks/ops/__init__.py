"""Prefect tasks of the operations flows (monitor, restore drill, schema upgrade, analysis, feedback review)."""
