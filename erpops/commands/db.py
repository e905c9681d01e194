"""`erpops db`: schema upgrades, the URL in use, content fingerprints and invariant checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from erpops.commands.tables import print_table

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from infra.db import UnitOfWork

app = typer.Typer(help="The ERP database: schema, fingerprint and invariant checks.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def connected_engine(*, schema_current: bool = False) -> Engine:
    """The configured ERP engine, after one successful round trip (or a one-line error)."""
    from infra.db import check_connection, get_engine
    from infra.schema_head import ensure_at_head

    engine = get_engine()
    check_connection(engine)
    if schema_current:
        ensure_at_head(engine)
    return engine


@contextmanager
def erp_work() -> Iterator[UnitOfWork]:
    """One unit of work on the configured ERP database, once it answers at the newest schema."""
    from infra.db import UnitOfWork

    connected_engine(schema_current=True)
    with UnitOfWork() as uow:
        yield uow


@app.command()
def upgrade(
    revision: Annotated[str | None, typer.Argument(help="Target revision (same as --to).")] = None,
    to: Annotated[str | None, typer.Option("--to", metavar="REV", help="Target revision (default head).")] = None,
    no_flow: Annotated[bool, typer.Option("--no-flow", help="The bare Alembic upgrade, even on a database with "
                                          "business data (no backup, verification or rollback).")] = False,
    extra_versions: Annotated[list[Path] | None, typer.Option("--extra-versions", hidden=True, help="More Alembic "
                                                              "revision directories (tests).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Bring the ERP schema to the newest revision (or REV). On a database with business data this is the
    schema-upgrade flow: a backup first, verification after, and a rollback on failure (exit 1)."""
    from infra.migrate import current_revision, upgrade

    if revision is not None and to is not None and revision != to:
        raise typer.BadParameter(f"two targets: {revision} and --to {to}", param_hint="--to")
    target = to or revision or "head"
    extra = [str(p) for p in extra_versions or []]
    engine = connected_engine()
    before = current_revision(engine)
    if not no_flow and _needs_flow(engine, before, target, extra):
        from erpops.commands.ops_recovery import upgrade_through_flow

        upgrade_through_flow(target, extra, as_json=as_json)
        return
    upgrade(engine, target, extra_versions=extra)
    after = current_revision(engine)
    if as_json:
        typer.echo(json.dumps({"status": "passed", "flow": False, "start_revision": before, "revision": after}))
        return
    typer.echo(f"schema at {after}" + ("" if before == after else f" (was {before or 'empty'})"))


def _needs_flow(engine: Engine, before: str | None, target: str, extra: list[str]) -> bool:
    """An empty database, or one already at the target, keeps the bare (fast) path."""
    if before is None:
        return False
    from alembic.util import CommandError
    from sqlalchemy.orm import Session

    from erp_models.ops.schema_upgrade import holds_business_data
    from infra.migrate import resolve_revision

    try:
        if resolve_revision(engine, target, extra_versions=extra) == before:
            return False
    except CommandError:
        return False  # an unknown target: the bare upgrade says so, as it always has
    with Session(engine) as session:
        return holds_business_data(session)


@app.command()
def downgrade(revision: Annotated[str, typer.Argument(help="Target revision; 'base' empties it.")]) -> None:
    """Take the ERP schema back to REVISION."""
    from infra.migrate import current_revision, downgrade

    engine = connected_engine()
    downgrade(engine, revision)
    typer.echo(f"schema at {current_revision(engine) or 'base (empty)'}")


@app.command()
def url(
    show_password: Annotated[bool, typer.Option(help="Print the password instead of ***.")] = False,
) -> None:
    """Print the ERP database URL in use (the embedded server's unless ERPOPS_DATABASE_URL is set)."""
    from sqlalchemy.engine import make_url

    from infra.stack import database_url

    typer.echo(make_url(database_url()).render_as_string(hide_password=not show_password))


@app.command()
def fingerprint(as_json: JsonOpt = False) -> None:
    """Per ERP table: row count and an order-independent content hash."""
    from erp_models.fingerprint import database_fingerprint

    with erp_work() as uow:
        tables, overall = database_fingerprint(uow.session)
    if as_json:
        doc = {"fingerprint": overall, "tables": {t.table: {"rows": t.rows, "hash": t.digest} for t in tables}}
        typer.echo(json.dumps(doc, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("table", "rows", "hash", title=f"ERP content fingerprint {overall}")
    for t in tables:
        table.add_row(t.table, str(t.rows), t.digest)
    print_table(Console(), table)


@app.command()
def check(as_json: JsonOpt = False) -> None:
    """Report invariant violations: ledger vs on_hand, reservations, negatives, orphans, duplicates."""
    from erp_models.invariants import find_violations

    with erp_work() as uow:
        violations = find_violations(uow.session)
    if as_json:
        doc = {"ok": not violations, "violations": [v.__dict__ for v in violations]}
        typer.echo(json.dumps(doc, indent=2, default=str))
    elif not violations:
        typer.echo("no invariant violations")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("check", "count", "what", "examples", title="invariant violations")
        for v in violations:
            table.add_row(v.check, str(v.count), v.description, json.dumps(v.samples[:2], default=str))
        print_table(Console(), table)
    if violations:
        raise typer.Exit(1)


@app.command()
def describe() -> None:
    """Print the ERP schema reference as Markdown (the source of docs/schema.md)."""
    from erp_models.schema_doc import render_schema_markdown

    typer.echo(render_schema_markdown(), nl=False)
