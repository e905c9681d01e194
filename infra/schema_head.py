"""Is the ERP schema at the newest revision? Every command asks, so the answer must not import Alembic (a third
of a second): the revision a database is at is one row of `alembic_version`."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

# The newest revision under erp_models/migrations/versions (a test keeps them equal): reading the migration
# scripts to find it would cost each command a third of a second.
HEAD = "0019"


def stored_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database Alembic never touched."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_at_head(engine: Engine) -> str:
    """Raise a one-line error unless the schema is at the newest revision; returns that revision."""
    from infra.errors import SchemaNotCurrent

    current = stored_revision(engine)
    if current == HEAD:
        return current
    from infra.migrate import head_revision  # a revision this build does not name: ask Alembic

    head = head_revision(engine)
    if current != head:
        raise SchemaNotCurrent(
            f"the ERP schema is at {current or 'no revision (empty database)'}, not {head}; "
            "run `erpops db upgrade`"
        )
    return current or ""
