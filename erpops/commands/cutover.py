"""`erpops cutover`: the go-live runbook. `plan` validates it and previews the steps; nothing runs yet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from erp_models.cutover.runbook import Runbook

EXAMPLE_RUNBOOK = Path(__file__).resolve().parents[2] / "examples" / "cutover.yaml"

app = typer.Typer(help="The go-live cutover runbook: validate it and preview its steps.", no_args_is_help=True)

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
    console.print(table)
    path_s = sum(s.estimate for s in runbook.steps if s.name in critical)
    console.print(f"critical path (*): {' -> '.join(runbook.critical_path())} = {_minutes(path_s)}", soft_wrap=True)
    console.print(f"total estimate: {_minutes(runbook.total_estimate())}; rollback time objective (rto): "
                  f"{_minutes(runbook.rto)}; rollback covers the steps before {runbook.switch.name!r}")
    console.print("preview only: rehearse, run and status come next (docs/cutover.md)")
