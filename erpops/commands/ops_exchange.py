"""`erpops ops exchange`: one pass of the exchange flow (webhooks and channel stock), visible in the Prefect UI.
Exit 0 nothing parked, 1 deliveries parked as dead letters, 2 bad input. `erpops exchange run` is the same pass as a
long-running worker, without a flow run per pass."""

from __future__ import annotations

import json
from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def exchange(max_attempts: Annotated[int, typer.Option(min=1, max=50, help="Attempts before a delivery is parked.")]
             = 6,
             base_delay: Annotated[float, typer.Option(min=0.01, help="Backoff after the first failure (s).")] = 2.0,
             as_json: JsonOpt = False) -> None:
    """Deliver the outbox to webhook subscriptions and push changed stock to the channels, once, as the `exchange`
    flow. Exit 0 nothing parked, 1 deliveries parked as dead letters, 2 bad input."""
    from rich.console import Console

    console = Console(stderr=True, quiet=as_json)
    from erpops.commands.runtime import outcome_of, stack_for_flows

    stack = stack_for_flows(console)
    from flows.exchange import ExchangeParams, run_exchange
    from tasks.exchange import RetrySettings

    params = ExchangeParams(retry=RetrySettings(max_attempts=max_attempts, base_delay_s=base_delay))
    state, found = run_exchange(params)
    outcome = outcome_of("exchange", state, found)
    flow_run = str(state.state_details.flow_run_id)
    if as_json:
        typer.echo(json.dumps({"flow_run_id": flow_run, **outcome.as_dict()}, indent=2, ensure_ascii=False))
    else:
        typer.echo(f"exchange: {outcome.summary()}")
        Console().print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{flow_run}", soft_wrap=True)
    if not outcome.ok:
        typer.echo(f"erpops: {state.message}", err=True)
        raise typer.Exit(1)
