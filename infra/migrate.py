"""Alembic, configured in code: upgrade, downgrade and the revision a database is at."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "erp_models:migrations")
    cfg.attributes["url"] = engine.url.render_as_string(hide_password=False)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` and, at head, the built-in roles and permissions; one transaction."""
    from sqlalchemy.orm import Session

    from erp_models.security.services import sync_roles_and_permissions

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if revision == "head":
            with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
                sync_roles_and_permissions(session)
                session.commit()  # releases the savepoint; the outer transaction commits below


def downgrade(engine: Engine, revision: str = "base") -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_at_head(engine: Engine) -> str:
    """Raise a one-line error unless the schema is at the newest revision; returns that revision."""
    from infra.errors import SchemaNotCurrent

    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise SchemaNotCurrent(
            f"the ERP schema is at {current or 'no revision (empty database)'}, not {head}; "
            "run `erpops db upgrade`"
        )
    return current or ""


def known_revisions(engine: Engine) -> set[str]:
    """Every revision this code's migrations know: a database or backup at any other one was made by newer code."""
    return {script.revision for script in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()}


def is_older(engine: Engine, revision: str, than: str) -> bool:
    """Whether `revision` comes before `than` in this code's migration history."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    return any(s.revision == revision for s in script.iterate_revisions(than, "base") if s.revision != than)
