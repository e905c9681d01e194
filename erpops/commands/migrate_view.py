"""What `erpops migrate` prints: the per-entity table, the runs list, and one line for a run that did not pass.

Tables stay within 80 columns (a pipe's width) with short headers and no vertical rules; cells fold rather
than lose characters, and run ids are printed whole, since they are what `--undo` takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from erp_models.enums import MigrationMode, MigrationRunStatus
from erpops.commands.tables import print_table

if TYPE_CHECKING:
    from erp_models.migration.listing import RunRow

LEGEND = "ins=inserted upd=updated same=unchanged quar=quarantined rej=rejected"


def _reconciled(entity: Any) -> str:
    if entity.blocked_by:
        return "blocked"
    recon = entity.reconciliation
    if recon is None:
        return "-"  # not loaded (a dry run's blocked entity, or one after a block)
    return "ok" if recon.get("ok") else "differs"


def print_summary(outcome: Any) -> None:
    """Per entity: what was read, inserted, updated, left unchanged, quarantined and rejected."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    skipped = any(e.skipped for e in outcome.entities)
    headers = ["entity", "read", *(["skip"] if skipped else []), "ins", "upd", "same", "quar", "rej", "recon"]
    table = Table(title=f"migration run {outcome.run_id} ({outcome.mode}): {outcome.status}", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for n, header in enumerate(headers):
        table.add_column(header, justify="left" if n in (0, len(headers) - 1) else "right", overflow="fold")
    for e in outcome.entities:
        counts = [e.read, *([e.skipped] if skipped else []), e.inserted, e.updated, e.unchanged, e.quarantined,
                  e.rejected]
        table.add_row(e.entity, *(str(c) for c in counts), _reconciled(e))
    console = Console()
    if outcome.entities:
        print_table(console, table)
        console.print(LEGEND + (" skip=at or below the watermark" if skipped else ""), style="dim", soft_wrap=True)
    for e in outcome.entities:
        if e.blocked_by:
            console.print(f"{e.entity} blocked: {'; '.join(e.blocked_by)}", soft_wrap=True)
        for difference in (e.reconciliation or {}).get("differences", [])[:5]:
            console.print(f"{e.entity} differs: {difference}", soft_wrap=True)
    for entity, count in outcome.reverted.items():
        console.print(f"reverted {entity}: {count} rows")
    if outcome.quarantine_csv:
        console.print(f"quarantined rows: {outcome.quarantine_csv}", soft_wrap=True)


def verdict_line(outcome: Any, mapping: Path | None) -> str:
    """One line for a run that did not pass: its id and what to do next."""
    run = outcome.run_id
    if outcome.mode == MigrationMode.DRY_RUN:
        return f"dry run {run} {outcome.status}; it changed nothing"
    if outcome.status == MigrationRunStatus.BLOCKED:
        return (f"migration run {run} blocked: nothing was loaded and its staging was dropped; fix the rows named "
                f"above and run again (nothing to undo: `erpops migrate --undo {run}` would revert nothing)")
    resume = f"`erpops migrate --mapping {mapping} --resume`" if mapping else "`erpops migrate --resume`"
    return f"migration run {run} {outcome.status}; resume it with {resume} or undo it: `erpops migrate --undo {run}`"


def with_run_hint(exc: Exception) -> Exception:
    """The exception to raise for a run that failed: a user error becomes one line that names the run and how
    to resume or undo it; a bug keeps its traceback (which shows the same hint as a note), after that line."""
    from erpops.errors import user_message
    from infra.errors import ErpopsError

    hints = [n for n in getattr(exc, "__notes__", []) if n.startswith(("migration run ", "dry run "))]
    if not hints:
        return exc
    message = user_message(exc)
    if message is None:
        typer.echo(f"erpops: {hints[-1]}", err=True)
        return exc
    code, line = message
    error = ErpopsError(f"{line} ({hints[-1]})")
    error.exit_code = code
    return error


def mapping_name(given: str | None) -> str | None:
    """A mapping's name, given its name or its file."""
    if given is None or not Path(given).is_file():
        return given
    from erp_models.migration.mapping import load_mapping

    mapping, _ = load_mapping(Path(given))
    return mapping.name


def print_runs(found: list[RunRow]) -> None:
    """Two lines per run: id, status, mode, start and mapping; then its counts and when it finished."""
    if not found:
        typer.echo("no migration runs")
        return
    for run in found:
        typer.echo(f"{run.id}  {run.status:8} {run.mode:8} {run.started:%Y-%m-%d %H:%M}  {run.mapping}")
        counts = ", ".join(f"{k} {v}" for k, v in run.counts.items()) or "no counts"
        finished = f"finished {run.finished:%Y-%m-%d %H:%M:%S}" if run.finished else "not finished"
        typer.echo(f"    {counts}; {finished}")
