"""`erpops ops automations apply`: create or update erpops' Prefect automations (alerts, the monitor risk)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

automations_app = typer.Typer(help="Prefect automations that alert on monitor violations and failed runs.",
                              no_args_is_help=True)


@automations_app.command(name="apply")
def apply_(webhook_url: Annotated[str | None, typer.Option("--webhook-url", help="Where alerts are POSTed "
                                                           "(default: ERPOPS_ALERT_WEBHOOK_URL).")] = None,
           failed_runs: Annotated[int, typer.Option("--failed-runs", min=2, max=20, help="Failed monitor runs in a "
                                                    "row that raise the risk.")] = 3,
           window_min: Annotated[int, typer.Option("--window", min=1, max=7 * 24 * 60, metavar="MINUTES",
                                                   help="The failed runs must fall within this window.")] = 120,
           as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False) -> None:
    """Create or update (by name) the automations: a monitor violation -> webhook; N failed monitor runs -> the
    ops-risk deployment (raises risk OPS-MONITOR); a failed migration or cutover run -> webhook."""
    from datetime import timedelta

    from rich.console import Console

    from erpops.automations import Applied, apply_automations
    from erpops.commands.runtime import stack_for_flows
    from infra.settings import get_settings

    url = webhook_url or get_settings().alert_webhook_url
    if url is not None and not url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--webhook-url")
    console = Console(stderr=True, quiet=as_json)
    stack = stack_for_flows(console)
    results = apply_automations(webhook_url=url, failed_runs=failed_runs, window=timedelta(minutes=window_min))
    if as_json:
        typer.echo(json.dumps({"prefect_api_url": stack.prefect_api_url, "webhook": bool(url),
                               "automations": [asdict(r) for r in results]}, indent=2, ensure_ascii=False))
        return
    out = Console()
    for r in results:
        out.print(f"{r.status.value:<8} {r.name}: {r.detail}", soft_wrap=True)
    if not url:
        out.print("no alert webhook configured: the alerts were skipped (set ERPOPS_ALERT_WEBHOOK_URL or pass "
                  "--webhook-url, then apply again)", soft_wrap=True)
    out.print(f"Prefect UI: {stack.ui_url}/automations", soft_wrap=True)
    if all(r.status is Applied.SKIPPED for r in results):
        raise typer.Exit(1)
