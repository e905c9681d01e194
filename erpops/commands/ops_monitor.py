"""`erpops ops monitor`: one pass of the monitor flow. Exit 0 passed, 1 a monitor incident is open, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from erpops.commands.tables import print_table

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def monitor(plan: Annotated[Path | None, typer.Option("--plan", help="A plan file whose `operations.monitor` "
                                                      "section sets the limits (default: the built-in limits).")]
            = None,
            api_url: Annotated[str | None, typer.Option("--api-url", help="A running ERP API to probe (default: "
                                                        "start one on loopback for the probe).")] = None,
            skip_api: Annotated[bool, typer.Option("--skip-api", help="Leave the API probe out.")] = False,
            as_json: JsonOpt = False) -> None:
    """Check the database, the API, invariants, live data quality, the outbox and KPIs once; violations become
    incidents and Prefect events. Exit 0 passed, 1 a monitor incident is open, 2 bad input."""
    from rich.console import Console

    from tasks.ops.spec import resolve_monitor_spec

    resolve_monitor_spec(str(plan) if plan else None)  # a broken plan is one line, before anything starts
    console = Console(stderr=True, quiet=as_json)
    from erpops.commands.runtime import outcome_of, stack_for_flows

    stack = stack_for_flows(console)
    from flows.monitor import MonitorParams, run_monitor

    state, outcome = run_monitor(MonitorParams(plan_file=str(plan.resolve()) if plan else None, api_url=api_url,
                                               skip_api=skip_api))
    outcome = outcome_of("monitor", state, outcome)
    if as_json:
        typer.echo(json.dumps(outcome.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        _print(console if not as_json else Console(), outcome)
        Console().print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{outcome.run_id}", soft_wrap=True)
    if outcome.status.value != "passed":
        typer.echo(f"erpops: monitor failed: {outcome.reason}", err=True)
        raise typer.Exit(1)


def _print(console: object, outcome: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from tasks.ops.monitor_report import MonitorOutcome

    assert isinstance(console, Console) and isinstance(outcome, MonitorOutcome)
    table = Table("check", "value", "limit", "status", title=f"monitor: {outcome.database}", title_justify="left")
    table.add_column("summary", overflow="fold")
    for row in outcome.checks:
        table.add_row(row.check, "-" if row.value is None else f"{row.value:g}", row.limit or "-",
                      "ok" if row.passed else "[red]VIOLATED[/red]", row.summary)
    out = Console(width=max(Console().width, 120))
    print_table(out, table)
    out.print(f"status: {outcome.status.value}; incidents opened {len(outcome.incidents.opened)}, updated "
              f"{len(outcome.incidents.updated)}, resolved {len(outcome.incidents.resolved)}; "
              f"events emitted {outcome.events_emitted}", soft_wrap=True)
