"""Prefect flows, one module per lifecycle phase; they orchestrate tasks and hold no SQL."""
