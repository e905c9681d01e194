"""The smoke-test step as a Prefect task: a thin wrapper for the cutover flow."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from tasks.cutover.smoke import SmokeRun, smoke_test


@task
def smoke_through_api(api_url: str | None, log_dir: str) -> SmokeRun:
    """Place, pay, ship and cancel orders on a smoke SKU through the ERP API; the smoke data is retired after."""
    return smoke_test(api_url=api_url, log_dir=Path(log_dir))
