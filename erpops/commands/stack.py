"""`erpops demo`, `erpops server` / `erpops ui`, `erpops stop` and `erpops status`: the runtime stack."""

from __future__ import annotations

import json
from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def demo(as_json: JsonOpt = False) -> None:
    """The main job: bring up the stack, upgrade the schema and run the lifecycle flows."""
    from rich.console import Console

    from erpops.demo import run_demo

    console = Console(stderr=as_json, quiet=as_json)
    result = run_demo(console)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    if not result["ready"]:
        raise typer.Exit(1)


def server() -> None:
    """Bring the stack up (again) for browsing, and print the Prefect UI address."""
    from infra.stack import bring_up

    stack = bring_up()
    typer.echo(f"Prefect UI: {stack.ui_url}")
    typer.echo(f"ERP database: {_masked(stack.database_url)}")


def stop() -> None:
    """Stop the embedded Prefect server and PostgreSQL; their data stays under the state dir."""
    from infra.stack import tear_down

    stopped = tear_down()
    typer.echo("stopped " + " and ".join(stopped) if stopped else "nothing was running")


def status(as_json: JsonOpt = False) -> None:
    """Show what of the embedded stack is running."""
    from infra.embedded_pg import EmbeddedPostgres
    from infra.prefect_server import PrefectServer
    from infra.settings import get_settings

    settings = get_settings()
    prefect = PrefectServer(settings.state_dir, settings.prefect_port)
    doc = {
        "postgres": EmbeddedPostgres(settings.state_dir).is_running(),
        "prefect_server": prefect.running_pid() is not None,
        "prefect_ui": prefect.ui_url,
        "state_dir": str(settings.state_dir.resolve()),
    }
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
        return
    for key, value in doc.items():
        typer.echo(f"{key}: {value}")


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    app.command()(demo)
    app.command()(server)
    app.command("ui", help="Same as `erpops server`.")(server)
    app.command()(stop)
    app.command()(status)
