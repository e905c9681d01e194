"""`erpops backup`: pg_dump backups of the ERP database with their fingerprints; verify and restore them."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from erpops.commands.db import JsonOpt, connected_engine
from erpops.commands.tables import print_table

if TYPE_CHECKING:
    from infra.backup_store import BackupStore
    from infra.backups import RestoredDatabase

app = typer.Typer(help="Backups of the ERP database with pg_dump / pg_restore.", no_args_is_help=True)

IdArg = Annotated[str, typer.Argument(help="Backup id, a label (its newest backup) or a unique id prefix.")]


def _target() -> tuple[str, BackupStore]:
    from infra.backup_store import BackupStore
    from infra.settings import get_settings

    engine = connected_engine()
    return engine.url.render_as_string(hide_password=False), BackupStore.from_settings(get_settings())


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MiB" if n >= 1_048_576 else f"{n / 1024:.1f} KiB"


@app.command()
def create(
    label: Annotated[str | None, typer.Option(help="A word to find the backup by, e.g. before-golive.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Dump the ERP database (pg_dump custom format) and record its fingerprint; keeps ERPOPS_BACKUP_KEEP newest."""
    from infra.backups import create_backup
    from infra.settings import get_settings

    url, store = _target()
    created = create_backup(url, store, label=label, keep=get_settings().backup_keep)
    m = created.manifest
    if as_json:
        typer.echo(json.dumps({**m.model_dump(mode="json"), "path": str(store.dump_path(m.id)),
                               "removed": created.removed}, indent=2))
        return
    typer.echo(f"backup {m.id}: {_size(m.size_bytes)} in {m.duration_s:.1f} s, schema {m.revision or 'empty'}, "
               f"fingerprint {m.fingerprint or '-'}")
    typer.echo(f"  {store.dump_path(m.id)}")
    for old in created.removed:
        typer.echo(f"  removed {old} (retention keeps {get_settings().backup_keep})")


@app.command("list")
def list_backups(as_json: JsonOpt = False) -> None:
    """The backups in the backup directory, oldest first."""
    from infra.backup_store import BackupStore
    from infra.settings import get_settings

    store = BackupStore.from_settings(get_settings())
    manifests = store.manifests()
    if as_json:
        typer.echo(json.dumps({"directory": str(store.root),
                               "backups": [m.model_dump(mode="json") for m in manifests]}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"backups in {store.root}")
    for column in ("id", "created (UTC)", "size", "took", "revision", "fingerprint", "database"):
        table.add_column(column, no_wrap=column != "database")
    for m in manifests:
        table.add_row(m.id, m.created_at.strftime("%Y-%m-%d %H:%M"), _size(m.size_bytes), f"{m.duration_s:.1f} s",
                      m.revision or "-", m.fingerprint or "-", m.source)
    console = Console()
    print_table(Console(width=max(console.width, 130)), table)  # ids and fingerprints are copied whole, never cut


def _report(done: RestoredDatabase, as_json: bool, verb: str) -> None:
    if as_json:
        typer.echo(json.dumps({"backup_id": done.backup_id, "database": done.database, "ok": done.ok,
                               "expected_fingerprint": done.expected_fingerprint, "fingerprint": done.fingerprint,
                               "fingerprint_matches": done.fingerprint_matches, "violations": done.violations,
                               "duration_s": done.duration_s}, indent=2))
        return
    match = "matches" if done.fingerprint_matches else f"differs from the backup's {done.expected_fingerprint}"
    typer.echo(f"{verb} {done.backup_id} into {done.database} in {done.duration_s:.1f} s: "
               f"fingerprint {done.fingerprint or 'not comparable (schema not at this erpops head)'}"
               + (f" ({match})" if done.fingerprint else ""))
    typer.echo("invariant violations: " + (", ".join(done.violations) if done.violations else "none"))


@app.command()
def verify(backup_id: IdArg, as_json: JsonOpt = False) -> None:
    """Restore into a scratch database, compare its fingerprint, run `db check`, drop it; exit 1 unless all pass."""
    from infra.backups import verify_backup

    url, store = _target()
    done = verify_backup(url, store, backup_id)
    _report(done, as_json, "verified")
    if not done.ok:
        raise typer.Exit(1)


@app.command("restore")
def restore_cmd(
    backup_id: IdArg,
    into: Annotated[str | None, typer.Option("--into", help="Restore into this new database instead.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Replace the live database's data without asking.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup over the live ERP database (needs --yes or a confirmation), or --into a new database."""
    from infra.backups import restore_backup
    from infra.errors import ErpopsError

    url, store = _target()
    if into is None and not yes:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        if not sys.stdin.isatty():
            raise ErpopsError(f"restoring over the live database {name} replaces its data: pass --yes")
        typer.confirm(f"Replace every table of the live database {name} with backup {backup_id}?", abort=True)
    done = restore_backup(url, store, backup_id, into=into)
    _report(done, as_json, "restored")
