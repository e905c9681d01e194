"""Alembic migrations: empty to head and back, and agreement with the models."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.engine import URL

from erp_models.base import Base
from infra.migrate import current_revision, downgrade, head_revision, upgrade


def test_the_schema_upgrades_from_empty_to_head_and_downgrades_back(new_database: Callable[[], URL]) -> None:
    engine = create_engine(new_database())
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)  # and up again: downgrade left nothing behind that blocks a new upgrade
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()


def test_the_migrations_create_exactly_what_the_models_declare(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrading_twice_changes_nothing(migrated_engine: Engine) -> None:
    before = current_revision(migrated_engine)
    upgrade(migrated_engine)
    assert current_revision(migrated_engine) == before


def test_the_head_every_command_checks_against_is_the_newest_migration(migrated_engine: Engine) -> None:
    from infra.migrate import current_revision, head_revision
    from infra.schema_head import HEAD, stored_revision

    assert HEAD == head_revision(migrated_engine), "bump infra.schema_head.HEAD to the new revision"
    assert stored_revision(migrated_engine) == current_revision(migrated_engine) == HEAD
