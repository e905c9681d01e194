"""`erpops deploy` and `erpops worker`: every phase as a Prefect deployment, run by process workers."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

PoolOpt = Annotated[str, typer.Option("--pool", help="The process work pool the deployments go to.")]


def deploy(
    pool: PoolOpt = "erpops",
    apply_schedules: Annotated[bool, typer.Option(
        "--apply-schedules", help="Turn on the schedules of the phases that have one (monitor, restore drill, "
        "analysis, feedback review, milestone gates, exchange); they are registered off otherwise.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Create the work pool if it is missing and register every phase's deployment (infra/prefect.yaml) on the
    Prefect server in use, so that a PM can start any phase from the UI's Run button."""
    from dataclasses import asdict

    from rich.console import Console
    from rich.table import Table

    from erpops.commands.runtime import stack_for_flows
    from infra.deployments import ensure_work_pool, register
    from infra.settings import get_settings

    console = Console(stderr=as_json, quiet=as_json)
    stack = stack_for_flows(console, schema_current=False)
    created = ensure_work_pool(pool)
    with console.status(f"registering the deployments on work pool {pool!r} ..."):
        registered = register(pool, get_settings().state_dir, apply_schedules=apply_schedules, ui_url=stack.ui_url)
    if as_json:
        typer.echo(json.dumps({"pool": pool, "pool_created": created, "prefect_api_url": stack.prefect_api_url,
                               "deployments": [asdict(r) for r in registered]}, indent=2))
        return
    table = Table("deployment", "tags", "schedules (on)", title=f"{len(registered)} deployments on work pool {pool!r}"
                  + (" (created)" if created else ""))
    for r in registered:
        table.add_row(r.name, ", ".join(r.tags), f"{r.schedules} ({r.active_schedules})" if r.schedules else "-")
    console.print(table)
    console.print(f"Prefect UI: {stack.ui_url}/deployments   workers: erpops worker --pool {pool}", soft_wrap=True)


def worker(
    pool: PoolOpt = "erpops",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Flow runs this worker runs at once.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The worker's name in the UI.")] = None,
) -> None:
    """Run a Prefect process worker on the pool, with erpops's settings: the same as `prefect worker start`, with
    the environment erpops's flows need (the ERP database, the state dir and the Prefect server in use)."""
    from rich.console import Console

    from erpops.commands.runtime import stack_for_flows
    from infra.settings import get_settings

    stack = stack_for_flows(Console(stderr=True))
    env = dict(os.environ)
    env.pop("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", None)  # a worker's own log is what its operator reads
    env["ERPOPS_STATE_DIR"] = str(get_settings().state_dir.resolve())  # flow runs start in the project's directory
    args = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process"]
    args += ["--limit", str(limit)] if limit is not None else []
    args += ["--name", name] if name else []
    print(f"worker on pool {pool!r} of {stack.prefect_api_url}", file=sys.stderr, flush=True)
    os.execve(sys.executable, args, env)


def register_commands(app: typer.Typer) -> None:
    app.command()(deploy)
    app.command()(worker)
