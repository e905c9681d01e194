"""`erpops ops`: the operations flows once each (monitor, drill, analysis, feedback review, exchange), the Prefect
automations, and the incidents they open. Each flow's command lives in its own module and is registered below."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

app = typer.Typer(help="Operate the live ERP: monitoring, restore drills, analysis, feedback review, incidents.",
                  no_args_is_help=True)
incidents_app = typer.Typer(help="Incidents the operations flows opened: list, acknowledge, resolve.",
                            no_args_is_help=True)
app.add_typer(incidents_app, name="incidents")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@incidents_app.command(name="list")
def list_(all_: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
          as_json: JsonOpt = False) -> None:
    """Unresolved incidents (with --all, every incident), newest first."""
    from erp_models.ops.incidents import list_incidents
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        found = list_incidents(uow.session, unresolved_only=not all_)
    if as_json:
        typer.echo(json.dumps({"incidents": [asdict(i) for i in found]}, indent=2, ensure_ascii=False, default=str))
        return
    if not found:
        typer.echo("no incidents" if all_ else "no unresolved incidents")
        return
    for i in found:
        typer.echo(f"#{i.id}  {i.status:<12}  {i.severity:<8}  {i.check}: {i.summary}  (opened "
                   f"{i.opened_at:%Y-%m-%d %H:%M}, seen {i.occurrences}x, last by {i.source})")


@incidents_app.command()
def ack(incident_id: Annotated[int, typer.Argument(help="The incident's number.")],
        by: Annotated[str, typer.Option("--by", help="Who is on it.")]) -> None:
    """Acknowledge an incident: a person is on it (it stays unresolved until its check passes)."""
    from erp_models.ops.incidents import acknowledge
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        done = acknowledge(uow.session, incident_id=incident_id, by=by)
        uow.commit()
    typer.echo(f"incident #{done.id} {done.status} by {done.acknowledged_by}")


@incidents_app.command(name="resolve")
def resolve_(incident_id: Annotated[int, typer.Argument(help="The incident's number.")],
             by: Annotated[str, typer.Option("--by", help="Who resolves it.")]) -> None:
    """Resolve an incident by hand (checks that pass again resolve their incidents themselves)."""
    from erp_models.ops.incidents import resolve
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        done = resolve(uow.session, incident_id=incident_id, by=by)
        uow.commit()
    typer.echo(f"incident #{done.id} {done.status} by {done.resolved_by}")


from erpops.commands.ops_automations import automations_app  # noqa: E402
from erpops.commands.ops_monitor import monitor  # noqa: E402

app.command(name="monitor")(monitor)
app.add_typer(automations_app, name="automations")
from erpops.commands.ops_analysis import analysis  # noqa: E402

app.command(name="analysis")(analysis)
from erpops.commands.ops_recovery import drill  # noqa: E402

app.command(name="drill")(drill)
from erpops.commands.ops_feedback import feedback_review  # noqa: E402

app.command(name="feedback-review")(feedback_review)
from erpops.commands.ops_exchange import exchange  # noqa: E402

app.command(name="exchange")(exchange)
