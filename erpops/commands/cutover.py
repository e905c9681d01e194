"""`erpops cutover`: the go-live runbook. `plan` previews it, `rehearse` runs it on a copy of the ERP and ends with a
rollback drill, `run` runs it on the live ERP, `status` shows the newest (or a named) cutover's journal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from erpops.commands.tables import print_table
from infra.errors import ErpopsError

if TYPE_CHECKING:
    from erp_models.cutover.journal import CutoverJournal
    from erp_models.cutover.runbook import Runbook

EXAMPLE_RUNBOOK = Path(__file__).resolve().parents[2] / "examples" / "cutover.yaml"

app = typer.Typer(help="The go-live cutover: preview the runbook, rehearse it on a copy, run it, and see its status.",
                  no_args_is_help=True)

RunbookOpt = Annotated[Path, typer.Option("--runbook", help="The runbook YAML file (default: examples/cutover.yaml).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _document(path: Path, runbook: Runbook) -> dict[str, object]:
    pre_switch = runbook.pre_switch()
    steps = [{"name": s.name, "kind": str(s.kind), "owner": s.owner, "estimate_s": s.estimate,
              "predecessors": s.predecessors, "pre_switch": s.name in pre_switch} for s in runbook.execution_order()]
    return {"runbook": str(path), "name": runbook.name, "rto_s": runbook.rto, "steps": steps,
            "critical_path": runbook.critical_path(), "total_estimate_s": runbook.total_estimate()}


def _minutes(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{rest}s" if rest else "") or "0s"


@app.command()
def plan(runbook_file: RunbookOpt = EXAMPLE_RUNBOOK, as_json: JsonOpt = False) -> None:
    """Validate the runbook and print its steps in execution order, the critical path and the rollback coverage."""
    from rich.console import Console
    from rich.table import Table

    from erp_models.cutover.runbook import load_runbook

    runbook, _ = load_runbook(runbook_file)
    document = _document(runbook_file, runbook)
    if as_json:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    pre_switch = runbook.pre_switch()
    critical = set(runbook.critical_path())
    table = Table("#", title=runbook.name)
    for column in ("step", "kind", "estimate", "critical", "rollback"):
        table.add_column(column, no_wrap=True)
    table.add_column("owner")
    table.add_column("after")
    for n, step in enumerate(runbook.execution_order(), start=1):
        table.add_row(str(n), step.name, str(step.kind), _minutes(step.estimate), "*" if step.name in critical else "",
                      "covered" if step.name in pre_switch else "-", step.owner, ", ".join(step.predecessors) or "-")
    console = Console(width=max(Console().width, 120))
    print_table(console, table)
    path_s = sum(s.estimate for s in runbook.steps if s.name in critical)
    console.print(f"critical path (*): {' -> '.join(runbook.critical_path())} = {_minutes(path_s)}", soft_wrap=True)
    console.print(f"total estimate: {_minutes(runbook.total_estimate())}; rollback time objective (rto): "
                  f"{_minutes(runbook.rto)}; rollback covers the steps before {runbook.switch.name!r}")
    console.print("rehearse it on a copy of the ERP: erpops cutover rehearse" + (
        "" if runbook_file == EXAMPLE_RUNBOOK else f" --runbook {runbook_file}"), soft_wrap=True)


FailAtOpt = Annotated[str | None, typer.Option("--fail-at", metavar="STEP",
                                               help="Fail the rehearsal at this step, to practise the rollback.")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="Continue the newest unfinished cutover of this runbook.")]
ApproveOpt = Annotated[str | None, typer.Option("--approve-as", metavar="NAME", help="Sign the go/no-go off as the "
                                                "runbook's approver, without pausing for the Prefect UI form.")]
NoopOpt = Annotated[bool, typer.Option("--noop", help="Only print the plan (as `erpops cutover plan`); run nothing.")]
TimeoutOpt = Annotated[int, typer.Option("--approval-timeout", min=1, metavar="S",
                                         help="How long the go/no-go waits for a sign-off in the Prefect UI.")]


@app.command()
def rehearse(runbook_file: RunbookOpt = EXAMPLE_RUNBOOK, fail_at: FailAtOpt = None, resume: ResumeOpt = False,
             approve_as: ApproveOpt = None, approval_timeout: TimeoutOpt = 3600,
             keep_copy: Annotated[bool, typer.Option("--keep-copy", help="Keep the rehearsal's copy of the ERP "
                                                     "afterwards (its name is in the output), to inspect it.")]
             = False, noop: NoopOpt = False, as_json: JsonOpt = False) -> None:
    """Rehearse the cutover on a copy of the live ERP (restored from a fresh backup), timing every step, and end
    with a full rollback drill. Exit 0 passed, 1 rolled back or failed, 2 bad input."""
    if noop:
        plan(runbook_file, as_json)
        return
    _cutover(runbook_file, "rehearsal", fail_at=fail_at, resume=resume, approve_as=approve_as,
             timeout=approval_timeout, as_json=as_json, keep_copy=keep_copy)


@app.command(name="run")
def run_(runbook_file: RunbookOpt = EXAMPLE_RUNBOOK, resume: ResumeOpt = False, approve_as: ApproveOpt = None,
         approval_timeout: TimeoutOpt = 3600,
         yes: Annotated[bool, typer.Option("--yes", help="Yes: freeze, migrate and switch the live ERP.")] = False,
         noop: NoopOpt = False, as_json: JsonOpt = False) -> None:
    """Run the cutover on the live ERP; a failure before the switch restores the pre-cutover backup and unfreezes.
    Exit 0 passed, 1 rolled back or failed, 2 bad input."""
    if noop:
        plan(runbook_file, as_json)
        return
    if not yes:
        raise ErpopsError("a cutover freezes and changes the live ERP: pass --yes (rehearse it first with "
                          "`erpops cutover rehearse`)")
    _cutover(runbook_file, "run", fail_at=None, resume=resume, approve_as=approve_as, timeout=approval_timeout,
             as_json=as_json)


@app.command()
def status(run_id: Annotated[str | None, typer.Argument(help="A cutover run id or its prefix (default: the newest).")]
           = None, as_json: JsonOpt = False) -> None:
    """The journal of the newest (or the named) cutover: each step's status, estimate and actual time."""
    from rich.console import Console

    from infra.cutover_store import CutoverStore
    from infra.settings import get_settings

    store = CutoverStore.from_settings(get_settings())
    journal = store.get(run_id) if run_id else store.latest()
    if journal is None:
        raise ErpopsError("no cutover has run yet: rehearse one with `erpops cutover rehearse`")
    if as_json:
        typer.echo(json.dumps(journal.document(), indent=2, ensure_ascii=False))
        return
    print_journal(Console(width=max(Console().width, 120)), journal)


def _cutover(runbook_file: Path, mode: str, *, fail_at: str | None, resume: bool, approve_as: str | None,
             timeout: int, as_json: bool, keep_copy: bool = False) -> None:
    from rich.console import Console

    from erp_models.cutover.runbook import load_runbook
    from erp_models.cutover.steps import GoNoGoStep

    runbook, _ = load_runbook(runbook_file)  # a broken runbook is one line, before anything starts
    names = [s.name for s in runbook.execution_order()]
    if fail_at is not None and fail_at not in names:
        raise ErpopsError(f"--fail-at {fail_at!r} is not a step of {runbook_file} (steps: {', '.join(names)})")
    approvers = {s.approver.name for s in runbook.steps if isinstance(s, GoNoGoStep)}
    if approve_as is not None and approvers and approvers != {approve_as.strip()}:
        raise ErpopsError(f"--approve-as {approve_as!r} is not the runbook's approver ({', '.join(sorted(approvers))})")
    console = Console(stderr=True, quiet=as_json)
    from erpops.commands.runtime import outcome_of, stack_for_flows

    stack = stack_for_flows(console)
    from erp_models.cutover.journal import CutoverMode
    from flows.cutover import CutoverParams, run_cutover

    params = CutoverParams(runbook=str(runbook_file.resolve()), mode=CutoverMode(mode), fail_at=fail_at,
                           resume=resume, approve_as=approve_as, approval_timeout_s=timeout,
                           keep_copy=keep_copy)
    if approve_as is None and approvers:
        console.print(f"the go/no-go waits for {', '.join(sorted(approvers))} to decide in the Prefect UI "
                      f"({stack.ui_url}/runs), or rerun with --approve-as NAME", soft_wrap=True)
    state, outcome = run_cutover(params)
    outcome = outcome_of("cutover", state, outcome)
    journal = outcome.journal
    if as_json:
        typer.echo(json.dumps(journal.document(), indent=2, ensure_ascii=False))
    else:
        print_journal(Console(width=max(Console().width, 120)), journal)
        Console().print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{outcome.flow_run_id}", soft_wrap=True)
    if journal.status.value != "passed":
        typer.echo(f"erpops: cutover {journal.mode.value} {journal.status.value}: {journal.reason}", err=True)
        raise typer.Exit(1)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def print_journal(console: object, journal: CutoverJournal) -> None:
    """The steps with their estimates and actual times, then the verdict, fingerprints and rollback."""
    from rich.console import Console
    from rich.table import Table

    assert isinstance(console, Console)
    table = Table("#", title=f"{journal.name}: {journal.mode.value} {journal.run_id}", title_justify="left")
    for column in ("step", "kind", "status", "estimate", "actual"):
        table.add_column(column, no_wrap=True)
    table.add_column("detail", overflow="fold")
    for n, step in enumerate(journal.steps, start=1):
        table.add_row(str(n), step.name, step.kind, step.status.value, _minutes(step.estimate_s),
                      _seconds(step.actual_s), step.detail)
    print_table(console, table)
    console.print(f"status: {journal.status.value}" + (f" ({journal.reason})" if journal.reason else ""),
                  soft_wrap=True)
    same = journal.fingerprint_before is not None and journal.fingerprint_before == journal.fingerprint_after
    console.print(f"fingerprint before {journal.fingerprint_before or '-'}, after {journal.fingerprint_after or '-'}"
                  + (" (equal)" if same else ""))
    if journal.rollback_s is not None:
        what = "rollback drill" if journal.rollback_drill else "rollback"
        within = "within" if journal.rollback_s <= journal.rto_s else "OVER"
        console.print(f"{what}: {journal.rollback_s:.1f} s, {within} the rto of {_minutes(journal.rto_s)}")
    console.print(f"database: {journal.database}; duration {_seconds(journal.duration_s)}; journal "
                  f"{journal.run_id}", soft_wrap=True)
