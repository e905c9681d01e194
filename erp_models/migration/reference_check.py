"""A migrated batch's foreign keys, checked set-wise instead of row by row.

PostgreSQL checks a foreign key with a trigger per inserted row: for a million order lines that is about half
of what the insert costs. When the database role may set `session_replication_role` (a superuser, or a role
granted SET on it), a batch's upsert runs with triggers off, and then, in the same transaction, one statement
per foreign key takes every distinct value the batch wrote, locks the referenced rows FOR KEY SHARE (as the
triggers would: a concurrent delete of one of them waits, then fails on our committed rows) and fails the
batch if any is missing. Every foreign key still holds when the batch commits. Tables with a composite foreign
key, and roles without that right, keep the triggers; the latter is logged once per process.

The statement also writes the legacy-key map and the previous versions of changed rows: their only foreign
key is the run, which the batch's checkpoint references anyway and is checked the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.base import Base
from erp_models.migration.targets import Target

logger = logging.getLogger(__name__)
_allowed: dict[str, bool] = {}  # per database (URL without password): may this role switch triggers off


class BrokenReference(RuntimeError):
    """A value the batch wrote names no row: the same failure as the foreign key's own."""


@dataclass(frozen=True)
class ReferenceCheck:
    constraint: str
    value: str  # SQL of the value written, over the staging alias `fresh`
    table: str  # the referenced table
    column: str  # and its column


def set_wise_checks(session: Session, target: Target, written: Collection[tuple[str, str]]) -> \
        list[ReferenceCheck] | None:
    """The checks that replace the triggers for a batch that writes ``written`` ((ERP column, SQL value over
    `fresh`) pairs, constants included); None to keep the triggers."""
    table = Base.metadata.tables[target.table]
    values = dict(written)
    checks = []
    for fk in table.foreign_key_constraints:
        if len(fk.columns) != 1:
            return None
        column, element = next(iter(fk.columns)), fk.elements[0]
        if element.column.table.name == target.table:
            return None  # self references are linked after every batch, with the triggers on
        if column.name in values:
            checks.append(ReferenceCheck(str(fk.name), values[column.name], element.column.table.name,
                                         element.column.name))
    return checks if _may_switch_triggers(session) else None


def triggers_off(session: Session) -> None:
    session.execute(text("SET LOCAL session_replication_role = replica"))


def verify(session: Session, checks: list[ReferenceCheck], *, staging: str, batch_no: int, run_id: object) -> None:
    """Triggers back on, then every reference the batch wrote (and its run) checked and locked; raises
    `BrokenReference` naming the constraint and a missing value."""
    session.execute(text("SET LOCAL session_replication_role = origin"))
    run = session.execute(text("SELECT id FROM migration_runs WHERE id = :r FOR KEY SHARE"), {"r": run_id}).first()
    if run is None:
        raise BrokenReference(f"migration run {run_id} vanished while its batch {batch_no} loaded")
    for check in checks:
        missing = session.execute(text(f"""
            WITH refs AS (SELECT DISTINCT {check.value} AS v FROM {staging} fresh
                          WHERE fresh._batch = :batch AND {check.value} IS NOT NULL),
                 locked AS (SELECT r."{check.column}" AS v FROM "{check.table}" r
                            WHERE r."{check.column}" IN (SELECT v FROM refs) FOR KEY SHARE OF r)
            SELECT refs.v FROM refs LEFT JOIN locked USING (v) WHERE locked.v IS NULL LIMIT 1"""),
            {"batch": batch_no}).first()
        if missing is not None:
            raise BrokenReference(f"batch {batch_no} violates {check.constraint}: {check.table}.{check.column} = "
                                  f"{missing[0]!r} does not exist")


def _may_switch_triggers(session: Session) -> bool:
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    if url not in _allowed:
        version = int(session.execute(text("SELECT current_setting('server_version_num')")).scalar_one())
        allowed = bool(session.execute(text(  # GRANT SET ON PARAMETER came with PostgreSQL 15
            "SELECT has_parameter_privilege('session_replication_role', 'SET')" if version >= 150000
            else "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar_one())
        if not allowed:
            logger.warning("this database role may not set session_replication_role (superuser, or GRANT SET ON "
                           "PARAMETER): the migration checks foreign keys row by row with the tables' triggers, "
                           "which is slower")
        _allowed[url] = allowed
    return _allowed[url]
