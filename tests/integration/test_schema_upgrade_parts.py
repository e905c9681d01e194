"""The schema upgrade's parts on real PostgreSQL: business data, the whole-schema fingerprint, extra revision
directories and their verify hooks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from erp_models.ops.schema_upgrade import holds_business_data, schema_fingerprint
from infra.migrate import (
    RevisionVerifyFailed,
    current_revision,
    downgrade,
    head_revision,
    resolve_revision,
    revisions_between,
    upgrade,
    verify_revisions,
)

REVISION = '''"""Test only."""
from alembic import op

revision = "it_probe"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE it_probe (id int)")


def downgrade() -> None:
    op.execute("DROP TABLE it_probe")


def verify(connection) -> None:
    from sqlalchemy import text

    if connection.execute(text("SELECT count(*) FROM it_probe")).scalar_one() == 0:
        raise AssertionError("it_probe is empty")
'''


def test_seeded_rows_are_not_business_data_but_a_warehouse_is(new_database: Callable[[], URL]) -> None:
    engine = create_engine(new_database())
    try:
        with Session(engine) as session:
            assert holds_business_data(session) is False  # no schema at all
        upgrade(engine)
        with Session(engine) as session:
            assert holds_business_data(session) is False  # only what the upgrade seeds
            before = schema_fingerprint(session)
            session.execute(text("INSERT INTO warehouses (code, name) VALUES ('WH-IT', '成都仓')"))
            assert holds_business_data(session) is True
            assert schema_fingerprint(session) != before
    finally:
        engine.dispose()


def test_an_extra_revision_directory_puts_a_revision_on_top_of_head_with_its_verify_hook(
        new_database: Callable[[], URL], tmp_path: Path) -> None:
    engine = create_engine(new_database())
    try:
        upgrade(engine)
        head = head_revision(engine)
        (tmp_path / "it_probe.py").write_text(REVISION.format(head=head), encoding="utf-8")
        extra = [str(tmp_path)]
        assert head_revision(engine, extra_versions=extra) == "it_probe"
        assert resolve_revision(engine, "head", extra_versions=extra) == "it_probe"
        assert [s.revision for s in revisions_between(engine, head, "it_probe", extra_versions=extra)] == ["it_probe"]
        with Session(engine) as s:
            before = schema_fingerprint(s)
        upgrade(engine, "head", extra_versions=extra)
        assert current_revision(engine) == "it_probe"
        assert verify_revisions(engine, [head or ""], extra_versions=extra) == []  # no hook: nothing to verify
        with pytest.raises(RevisionVerifyFailed, match="revision it_probe's verify failed: it_probe is empty"):
            verify_revisions(engine, ["it_probe"], extra_versions=extra)
        downgrade(engine, head or "base", extra_versions=extra)
        with Session(engine) as s:
            assert schema_fingerprint(s) == before
        assert current_revision(engine) == head
    finally:
        engine.dispose()
