"""`erpops migrate`: the migration flow from the command line, the runs it made, and leftover staging."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Migrate legacy data: run the flow (with --mapping), list runs, drop leftover staging.",
                  invoke_without_command=True, no_args_is_help=False)


@app.callback()
def migrate(
    ctx: typer.Context,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="The mapping YAML file.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Do everything, report everything, roll back.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the newest unfinished run.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --resume: go on although the mapping changed since "
                                        "the run started (it names what changed).")] = False,
    delta: Annotated[bool, typer.Option("--delta", help="Only rows past the last load's watermark.")] = False,
    undo: Annotated[str | None, typer.Option("--undo", metavar="RUN_ID", help="Revert what a run did.")] = None,
    dask_workers: Annotated[int, typer.Option("--dask-workers", metavar="K", min=0, max=64, help=(
        "Stage the entities on a local Dask cluster of K worker processes (ERPOPS_DASK_ADDRESS: on that "
        "cluster); 0 stages them here, one after another."))] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Run the migration flow: extract, transform, GX gate, quarantine, stage, upsert, reconcile.

    `erpops migrate list` shows the runs and their ids; `erpops migrate clean` drops leftover staging."""
    from infra.errors import ConfigError

    if ctx.invoked_subcommand is not None:
        if mapping or dry_run or resume or delta or undo or as_json:
            raise ConfigError(f"options of `erpops migrate` go after `{ctx.invoked_subcommand}`, not before")
        return
    if undo is None and mapping is None:
        raise ConfigError("--mapping FILE is required (or --undo RUN_ID; or a command: list, clean)")
    if sum([dry_run, resume, undo is not None]) > 1:
        raise ConfigError("choose one of --dry-run, --resume and --undo")
    if force and not resume:
        raise ConfigError("--force goes with --resume (it resumes a run whose mapping changed)")
    try:
        undo_id = uuid.UUID(undo) if undo else None
    except ValueError:
        raise ConfigError(f"--undo: {undo!r} is not a run id (a UUID); `erpops migrate list` shows them") from None
    outcome = _run_flow(mapping, dry_run=dry_run, resume=resume, delta=delta, undo=undo_id, quiet=as_json,
                        force=force, dask_workers=dask_workers)
    if as_json:
        typer.echo(json.dumps(_document(outcome), indent=2, ensure_ascii=False, default=str))
    else:
        from erpops.commands.migrate_view import print_summary

        print_summary(outcome)
    from erp_models.enums import MigrationRunStatus

    if outcome.status not in (MigrationRunStatus.PASSED, MigrationRunStatus.UNDONE):
        from erpops.commands.migrate_view import verdict_line

        typer.echo(f"erpops: {verdict_line(outcome, mapping)}", err=True)
        raise typer.Exit(1)


@app.command("list")
def list_runs(
    mapping: Annotated[str | None, typer.Option("--mapping", help="Only runs of this mapping (its name or file).")]
    = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Migration runs, newest first: id, mapping, mode, status, start, end and counts."""
    from erp_models.migration.listing import list_runs as listed
    from erpops.commands.db import erp_work
    from erpops.commands.migrate_view import mapping_name, print_runs

    with erp_work() as uow:
        found = listed(uow.session, mapping_name=mapping_name(mapping), limit=limit)
    if as_json:
        typer.echo(json.dumps({"runs": [r.to_json() for r in found]}, indent=2, ensure_ascii=False))
    else:
        print_runs(found)


@app.command("clean")
def clean(
    older_than: Annotated[float | None, typer.Option("--older-than", metavar="DAYS", min=0,
                                                     help="Also unfinished runs started more than DAYS ago.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Drop the staging tables no --resume can use (and, with --older-than, those of old unfinished runs)."""
    from erp_models.migration.listing import drop_tables, leftover_staging
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        tables = leftover_staging(uow.session, older_than_days=older_than)
        drop_tables(uow.session, tables)
        uow.commit()
    if as_json:
        typer.echo(json.dumps({"dropped": [t.name for t in tables]}, indent=2))
    else:
        runs = sorted({str(t.run_id) for t in tables if t.run_id is not None})
        typer.echo(f"dropped {len(tables)} staging tables" + (f" of runs {', '.join(runs)}" if runs else ""))


def _run_flow(mapping: Path | None, *, dry_run: bool, resume: bool, delta: bool, undo: uuid.UUID | None,
              quiet: bool, force: bool = False, dask_workers: int = 0) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from erpops.commands.runtime import stack_for_flows
    from infra.settings import get_settings

    console = Console(stderr=True, quiet=quiet)
    settings = get_settings()
    if mapping is not None and not mapping.is_file():
        from infra.errors import ConfigError

        raise ConfigError(f"{mapping}: mapping file not found")
    if undo is None:  # the run will gate its rows: GX loads while the stack and the flow run start (they wait)
        from expectations.runtime import warm_up

        warm_up()
    stack = stack_for_flows(console)
    from flows.migration import MigrateParams, run_migration

    params = MigrateParams(mapping=str(mapping or ""), dry_run=dry_run, resume=resume, delta=delta, undo=undo,
                           force=force, out_dir=str(settings.state_dir / "migrations"), dask_workers=dask_workers)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # Bars only on a terminal: logs and CI keep just the summary, and an error stays one line.
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bars:
        tasks: dict[tuple[str, str], Any] = {}

        def on_progress(entity: str, phase: str, done: int, expected: int) -> None:
            key = (entity, phase)
            if key not in tasks:
                tasks[key] = bars.add_task(f"{phase:6} {entity}", total=expected or None)
            bars.update(tasks[key], completed=done, total=max(expected, done) or None)

        try:
            outcome = run_migration(params, reporter=on_progress)
        except Exception as exc:
            from erpops.commands.migrate_view import with_run_hint

            hinted = with_run_hint(exc)
            if hinted is exc:
                raise
            raise hinted from None
    console.print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{outcome.flow_run_id}", soft_wrap=True)
    return outcome


def _document(outcome: Any) -> dict[str, Any]:
    return {"run_id": str(outcome.run_id), "status": outcome.status, "mode": outcome.mode,
            "entities": {e.entity: {"read": e.read, "loaded": e.loaded, "quarantined": e.quarantined,
                                    "rejected": e.rejected, "skipped": e.skipped, "inserted": e.inserted,
                                    "updated": e.updated, "unchanged": e.unchanged, "reasons": e.reasons,
                                    "blocked_by": e.blocked_by, "gate": e.gate, "reconciliation": e.reconciliation,
                                    "seconds": e.seconds}
                         for e in outcome.entities},
            "quarantine_csv": outcome.quarantine_csv, "reverted": outcome.reverted,
            "flow_run_id": outcome.flow_run_id}
