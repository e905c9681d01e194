"""`erpops migrate` and `erpops sample-data`: the migration flow from the command line."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer


def migrate(
    mapping: Annotated[Path | None, typer.Option("--mapping", help="The mapping YAML file.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Do everything, report everything, roll back.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the newest unfinished run.")] = False,
    delta: Annotated[bool, typer.Option("--delta", help="Only rows past the last load's watermark.")] = False,
    undo: Annotated[str | None, typer.Option("--undo", metavar="RUN_ID", help="Revert what a run did.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Run the migration flow: extract, transform, GX gate, quarantine, stage, upsert, reconcile."""
    from infra.errors import ConfigError

    if undo is None and mapping is None:
        raise ConfigError("--mapping FILE is required (or --undo RUN_ID)")
    if sum([dry_run, resume, undo is not None]) > 1:
        raise ConfigError("choose one of --dry-run, --resume and --undo")
    try:
        undo_id = uuid.UUID(undo) if undo else None
    except ValueError:
        raise ConfigError(f"--undo: {undo!r} is not a run id (a UUID)") from None
    outcome = _run_flow(mapping, dry_run=dry_run, resume=resume, delta=delta, undo=undo_id, quiet=as_json)
    if as_json:
        typer.echo(json.dumps(_document(outcome), indent=2, ensure_ascii=False, default=str))
    else:
        _print_summary(outcome)
    if outcome.status not in ("passed", "undone"):
        raise typer.Exit(1)


def _run_flow(mapping: Path | None, *, dry_run: bool, resume: bool, delta: bool, undo: uuid.UUID | None,
              quiet: bool) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from erpops.commands.runtime import stack_for_flows
    from infra.settings import get_settings

    console = Console(stderr=True, quiet=quiet)
    settings = get_settings()
    if mapping is not None and not mapping.is_file():
        from infra.errors import ConfigError

        raise ConfigError(f"{mapping}: mapping file not found")
    stack = stack_for_flows(console)
    from flows.migration import MigrateParams, migrate
    from tasks.migration.progress import add_listener, clear_listeners

    params = MigrateParams(mapping=str(mapping or ""), dry_run=dry_run, resume=resume, delta=delta, undo=undo,
                           out_dir=str(settings.state_dir / "migrations"))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # Bars only on a terminal: logs and CI keep just the summary, and an error stays one line.
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bars:
        tasks: dict[tuple[str, str], Any] = {}

        def on_progress(entity: str, phase: str, done: int, expected: int) -> None:
            key = (entity, phase)
            if key not in tasks:
                tasks[key] = bars.add_task(f"{phase:6} {entity}", total=expected or None)
            bars.update(tasks[key], completed=done, total=max(expected, done) or None)

        add_listener(on_progress)
        try:
            outcome = migrate(params)
        finally:
            clear_listeners()
    console.print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{outcome.flow_run_id}", soft_wrap=True)
    return outcome


def _document(outcome: Any) -> dict[str, Any]:
    return {"run_id": str(outcome.run_id), "status": outcome.status, "mode": outcome.mode,
            "entities": {e.entity: {"read": e.read, "loaded": e.loaded, "quarantined": e.quarantined,
                                    "rejected": e.rejected, "skipped": e.skipped, "inserted": e.inserted,
                                    "updated": e.updated, "unchanged": e.unchanged, "reasons": e.reasons,
                                    "blocked_by": e.blocked_by, "gate": e.gate, "reconciliation": e.reconciliation}
                         for e in outcome.entities},
            "quarantine_csv": outcome.quarantine_csv, "reverted": outcome.reverted,
            "flow_run_id": outcome.flow_run_id}


def _print_summary(outcome: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("entity", "read", "loaded", "quarantined", "rejected", "reconciled",
                  title=f"migration run {outcome.run_id} ({outcome.mode}): {outcome.status}")
    for e in outcome.entities:
        table.add_row(e.entity, str(e.read), str(e.loaded), str(e.quarantined), str(e.rejected),
                      "✓" if (e.reconciliation or {}).get("ok") else ("⛔ " + "; ".join(e.blocked_by) if e.blocked_by
                                                                      else "✗"))
    console = Console()
    if outcome.entities:
        console.print(table)
    for entity, count in outcome.reverted.items():
        console.print(f"reverted {entity}: {count} rows")
    if outcome.quarantine_csv:
        console.print(f"quarantined rows: {outcome.quarantine_csv}", soft_wrap=True)
