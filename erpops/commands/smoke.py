"""`erpops smoke`: the cutover's smoke test through the ERP API, on a smoke SKU retired afterwards."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from tasks.cutover.smoke import SmokeRun

EXIT_FAILED = 1


def smoke(
    api_url: Annotated[str | None, typer.Option("--api-url", help="A running ERP API (default: start one on "
                                                                   "loopback).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    stock: Annotated[int, typer.Option("--stock", min=0, max=1000, hidden=True,
                                       help="Units of the smoke SKU (0 makes the placing step fail: a drill).")] = 10,
) -> None:
    """Place, replay, pay, ship and cancel orders on a smoke SKU through the API, and check its stock moved.

    The smoke SKU, warehouse and tokens are retired afterwards. Exit 0 every step passed, 1 a step failed."""
    from erpops.commands.db import connected_engine
    from infra.settings import get_settings
    from tasks.cutover.smoke import smoke_test

    connected_engine(schema_current=True)
    run = smoke_test(api_url=api_url, log_dir=get_settings().state_dir / "smoke", stock=stock)
    if as_json:
        typer.echo(json.dumps(run.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        _print(run)
    if not run.report.ok:
        typer.echo(f"erpops: smoke test failed at step {run.report.failed_step or 'unknown'}", err=True)
        raise typer.Exit(EXIT_FAILED)


def _print(run: SmokeRun) -> None:
    report = run.report
    typer.echo(f"smoke test {report.tag} against {report.api_url}")
    for step in report.steps:
        code = step.status_code if step.status_code is not None else "-"
        typer.echo(f"  {'ok  ' if step.ok else 'FAIL'} {step.name:<13} {code!s:>4} {step.ms:8.1f} ms  {step.detail}")
    done = run.cleanup
    typer.echo(f"cleanup: {done.orders_cancelled} open order(s) cancelled, {done.stock_written_off} unit(s) written "
               f"off, {done.skus_deactivated} SKU and {done.warehouses_deactivated} warehouse deactivated, "
               f"{done.tokens_revoked} token(s) revoked")
    typer.echo("passed" if report.ok else f"failed at {report.failed_step}")
