"""`erpops plan`: load the implementation plan, judge its milestone gates on evidence, and sign them off."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from erpops.commands.tables import print_table

app = typer.Typer(help="The implementation plan: load it, judge milestones on evidence, sign them off.",
                  no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
ProjectOpt = Annotated[str | None, typer.Option("--project", help="Project code (default: the latest loaded).")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", metavar="YYYY-MM-DD", help="Judge as of this day.")]


@app.command()
def load(plan_file: Annotated[Path, typer.Argument(help="The plan YAML file.")], as_json: JsonOpt = False) -> None:
    """Validate and load PLAN_FILE, rank the vendors, report budget and timeline (the `plan` flow)."""
    from erp_models.project.spec import load_plan

    load_plan(plan_file)  # a broken file fails here, in one line, before anything starts
    console, stack = _start(as_json)
    from flows.plan import PlanParams, plan

    outcome = plan(PlanParams(plan_file=str(plan_file)))
    document = {"project": outcome.project_code, "changed": outcome.loaded.changed if outcome.loaded else None,
                "counts": outcome.loaded.counts if outcome.loaded else {}, "charts": outcome.charts,
                "evidence": outcome.loaded.evidence if outcome.loaded else {}, "flow_run_id": outcome.flow_run_id,
                "prefect_ui": f"{stack.ui_url}/runs/flow-run/{outcome.flow_run_id}"}
    if as_json:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    counts = ", ".join(f"{n} {what}" for what, n in (outcome.loaded.counts if outcome.loaded else {}).items())
    console.print(f"plan {outcome.project_code} loaded{'' if document['changed'] else ' (unchanged)'}: {counts}")
    console.print(f"Prefect UI: {document['prefect_ui']}", soft_wrap=True)


@app.command()
def status(project: ProjectOpt = None, as_of: AsOfOpt = None, as_json: JsonOpt = False) -> None:
    """Judge every milestone against the latest evidence and show the verdicts (no sign-offs asked). Exit 0 also when
    a milestone failed: the flow run ends Failed with the reason, and `plan gates` exits 1 on it."""
    _gates(project, as_of, ask=False, timeout=1, as_json=as_json)


@app.command()
def gates(
    project: ProjectOpt = None, as_of: AsOfOpt = None,
    timeout: Annotated[int, typer.Option("--approval-timeout", min=1, help="Seconds to wait per sign-off.")] = 3600,
    as_json: JsonOpt = False,
) -> None:
    """Judge the milestones and pause for a sign-off, in the Prefect UI, on each one that needs it. Exit 1 when a
    milestone failed (the run ends Failed with the reason)."""
    _gates(project, as_of, ask=True, timeout=timeout, as_json=as_json)


@app.command()
def approve(
    milestone: Annotated[str, typer.Argument(help="Milestone code, e.g. M1.")],
    by: Annotated[str, typer.Option("--by", help="Who signs off.")],
    reject: Annotated[bool, typer.Option("--reject", help="Refuse the sign-off instead.")] = False,
    note: Annotated[str, typer.Option("--note", help="Why, or on what condition.")] = "",
    project: ProjectOpt = None,
) -> None:
    """Sign off (or reject) a milestone whose criteria all hold, without waiting on a flow run."""
    from erp_models.project.gates import decide_milestone
    from erp_models.project.loading import project_by_code
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        found = project_by_code(uow.session, project)
        result = decide_milestone(uow.session, project_id=found.id, code=milestone, approved=not reject,
                                  decided_by=by, note=note)
        uow.commit()
    typer.echo(f"{milestone}: {result.value} by {by}")


@app.command()
def risk(
    code: Annotated[str, typer.Argument(help="Risk code, e.g. RK1.")],
    new_status: Annotated[str, typer.Argument(metavar="STATUS", help="open, raised, mitigated or closed.")],
    project: ProjectOpt = None,
) -> None:
    """Update a risk's status, e.g. once its mitigation has worked."""
    from erp_models.enums import RiskStatus
    from erp_models.project.gates import set_risk_status
    from erp_models.project.loading import project_by_code
    from erpops.commands.db import erp_work
    from erpops.commands.delivery import choice

    status = choice(RiskStatus, new_status, "STATUS")
    with erp_work() as uow:
        found = project_by_code(uow.session, project)
        result = set_risk_status(uow.session, project_id=found.id, code=code, status=status)
        uow.commit()
    typer.echo(f"{code}: {result.value}")


def _gates(project: str | None, as_of: str | None, *, ask: bool, timeout: int, as_json: bool) -> None:
    day = _day(as_of)
    console, stack = _start(as_json)
    from erpops.commands.runtime import outcome_of
    from flows.plan import GatesParams, run_gates

    if ask:
        console.print(f"A milestone that needs a sign-off pauses this run: resume it in the Prefect UI "
                      f"({stack.ui_url}/runs) or run `erpops plan approve CODE --by NAME`.", soft_wrap=True)

    state, found = run_gates(GatesParams(project=project, as_of=day, ask_for_approval=ask,
                                         approval_timeout_s=timeout))
    outcome = outcome_of("milestone-gates", state, found)
    ui = f"{stack.ui_url}/runs/flow-run/{outcome.flow_run_id}"
    if as_json:
        document: dict[str, Any] = {"project": outcome.project_code, "as_of": str(day or date.today()),
                                    "milestones": [m.model_dump(mode="json") for m in outcome.milestones],
                                    "charts": outcome.charts, "flow_run_id": outcome.flow_run_id, "prefect_ui": ui}
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        _exit_when_failed(state, gate=ask)
        return
    from rich.table import Table

    table = Table("milestone", "due", "status", title=f"milestones of {outcome.project_code}")
    table.add_column("criteria", overflow="fold", min_width=30)
    for m in outcome.milestones:
        criteria = "\n".join(f"{'✔' if c.passed else '✘'} {c.expression} → "
                             f"{'no evidence' if c.value is None else f'{c.value:g}'}"
                             + (f" (run {c.run_id})" if c.run_id else "") for c in m.criteria)
        raised = f"\nraised {', '.join(m.raised_risks)}" if m.raised_risks else ""
        table.add_row(f"{m.code} {m.name}", str(m.due_on), m.status.value + raised, criteria)
    print_table(console, table)
    console.print(f"Prefect UI: {ui}", soft_wrap=True)
    _exit_when_failed(state, gate=ask)


def _exit_when_failed(state: Any, *, gate: bool) -> None:
    """When a milestone failed the flow run ended Failed with the reason: `plan gates` (a gate) says it and exits 1;
    `plan status` (a report) exits 0 after showing it."""
    if state.is_failed() and gate:
        typer.echo(f"erpops: milestone gates: {state.message}", err=True)
        raise typer.Exit(1)


def _start(quiet: bool) -> tuple[Any, Any]:
    from rich.console import Console

    from erpops.commands.runtime import stack_for_flows

    console = Console(stderr=quiet, quiet=quiet)
    return console, stack_for_flows(console)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        from infra.errors import ConfigError

        raise ConfigError(f"--as-of: {text!r} is not a date (YYYY-MM-DD)") from None
