"""`erpops demo`: the whole lifecycle on the embedded default, recorded in the Prefect UI."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console


def run_demo(console: Console) -> dict[str, Any]:
    """Bring up the stack, upgrade the schema, run the readiness flow; returns what a script needs."""
    from infra.db import get_engine
    from infra.migrate import upgrade
    from infra.settings import get_settings
    from infra.stack import bring_up, use_stack_in_this_process

    started = time.monotonic()
    settings = get_settings()
    with console.status("starting PostgreSQL and the Prefect server ..."):
        stack = bring_up(settings)
    console.print(f"[green]✓[/] stack up: Prefect UI at {stack.ui_url}")
    with console.status("upgrading the ERP schema ..."):
        upgrade(get_engine(stack.database_url))
    console.print("[green]✓[/] ERP schema at head")
    use_stack_in_this_process(stack, settings)

    from flows.readiness import environment_readiness  # imports Prefect, now pointed at our server

    with console.status("running the environment-readiness flow ..."):
        report = environment_readiness(api_url=stack.prefect_api_url, state_dir=settings.state_dir)
    for check in report.checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        console.print(f"{mark} {check.check}: {check.detail}")
    run_url = f"{stack.ui_url}/runs/flow-run/{report.flow_run_id}"
    console.print(f"\nPrefect UI: [bold]{stack.ui_url}[/]  (this run: {run_url})", soft_wrap=True)
    console.print("Stop the stack with `erpops stop`; `erpops server` brings it back.")
    return {
        "ready": report.ready,
        "prefect_ui": stack.ui_url,
        "prefect_api": stack.prefect_api_url,
        "flow_runs": {"environment-readiness": report.flow_run_id},
        "fingerprint": report.fingerprint.overall if report.fingerprint else None,
        "seconds": round(time.monotonic() - started, 1),
    }
