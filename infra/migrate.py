"""Alembic, configured in code: upgrade, downgrade and the revision a database is at.

`extra_versions` adds directories of revisions to the ones erpops ships, so a test (or an operator rehearsing a
revision before it ships) can put a revision on top of head without touching the package.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Engine

ExtraVersions = Sequence[str | Path]


def shipped_versions() -> Path:
    import erp_models

    return Path(erp_models.__file__).resolve().parent / "migrations" / "versions"


def alembic_config(engine: Engine, extra_versions: ExtraVersions = ()) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "erp_models:migrations")
    if extra_versions:
        cfg.set_main_option("path_separator", "os")
        locations = [shipped_versions(), *(Path(p).resolve() for p in extra_versions)]
        cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    cfg.attributes["url"] = engine.url.render_as_string(hide_password=False)
    return cfg


def upgrade(engine: Engine, revision: str = "head", *, extra_versions: ExtraVersions = ()) -> None:
    """Bring the schema to `revision` and, at head, the built-in roles and permissions; one transaction."""
    from sqlalchemy.orm import Session

    from erp_models.security.services import sync_roles_and_permissions

    cfg = alembic_config(engine, extra_versions)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if revision == "head":
            with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
                sync_roles_and_permissions(session)
                session.commit()  # releases the savepoint; the outer transaction commits below


def downgrade(engine: Engine, revision: str = "base", *, extra_versions: ExtraVersions = ()) -> None:
    cfg = alembic_config(engine, extra_versions)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def head_revision(engine: Engine, *, extra_versions: ExtraVersions = ()) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine, extra_versions)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def known_revisions(engine: Engine) -> set[str]:
    """Every revision this code's migrations know: a database or backup at any other one was made by newer code."""
    return {script.revision for script in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()}


def is_older(engine: Engine, revision: str, than: str) -> bool:
    """Whether `revision` comes before `than` in this code's migration history."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    return any(s.revision == revision for s in script.iterate_revisions(than, "base") if s.revision != than)


def resolve_revision(engine: Engine, target: str, *, extra_versions: ExtraVersions = ()) -> str | None:
    """The revision id `target` names (`head`, an id or a unique prefix); None for `base`."""
    script = ScriptDirectory.from_config(alembic_config(engine, extra_versions))
    found = script.get_revision(target)
    return found.revision if found is not None else None


def revisions_between(engine: Engine, lower: str | None, upper: str | None, *,
                      extra_versions: ExtraVersions = ()) -> list[Script]:
    """The revisions an upgrade from `lower` (None: empty) to `upper` applies, in the order it applies them."""
    if upper is None or upper == lower:
        return []
    script = ScriptDirectory.from_config(alembic_config(engine, extra_versions))
    found = [s for s in script.iterate_revisions(upper, lower or "base") if isinstance(s, Script)]
    return list(reversed(found))


class RevisionVerifyFailed(Exception):
    """A revision's own `verify(connection)` hook raised: the schema it made is not what it promised."""

    def __init__(self, revision: str, problem: str) -> None:
        super().__init__(f"revision {revision}'s verify failed: {problem}")
        self.revision = revision


def verify_revisions(engine: Engine, revisions: Sequence[str], *, extra_versions: ExtraVersions = ()) -> list[str]:
    """Run the Sqitch-style `verify(connection)` hook of each revision that declares one, in order, each in a
    transaction that is rolled back (a verify only reads); the revisions verified. Raises RevisionVerifyFailed."""
    script = ScriptDirectory.from_config(alembic_config(engine, extra_versions))
    verified = []
    for revision in revisions:
        hook = getattr(script.get_revision(revision).module, "verify", None)
        if not callable(hook):
            continue
        with engine.connect() as conn:
            try:
                with conn.begin() as tx:
                    hook(conn)
                    tx.rollback()
            except Exception as exc:  # whatever the hook raises is its verdict
                lines = str(exc).strip().splitlines()
                raise RevisionVerifyFailed(revision, lines[0] if lines else type(exc).__name__) from exc
        verified.append(revision)
    return verified
