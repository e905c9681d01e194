"""A migrated batch's foreign keys checked set-wise (triggers off) still hold when it commits: a value naming no
row fails the batch, and a role that may not switch triggers off keeps them (and says so)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from erp_models.enums import MigrationMode
from erp_models.migration import reference_check, runs
from erp_models.migration.reference_check import BrokenReference, ReferenceCheck
from erp_models.migration.targets import TARGETS
from tests.integration.builders import ref


@pytest.fixture
def session(migrated_engine: Engine) -> Iterator[Session]:
    with Session(migrated_engine) as session:
        yield session
        session.rollback()


def a_batch(session: Session, sku_ids: list[int]) -> tuple[str, uuid.UUID]:
    run = runs.start_run(session, mapping_name=ref("refcheck"), mapping_hash="x", mode=MigrationMode.LOAD)
    session.execute(text("CREATE TEMP TABLE staged_lines (_batch int, sku_id bigint) ON COMMIT DROP"))
    session.execute(text("INSERT INTO staged_lines VALUES (1, :s)"), [{"s": s} for s in sku_ids])
    return "staged_lines", run


def test_the_checks_name_each_foreign_key_the_batch_writes(session: Session) -> None:
    written = [("sales_order_id", 'fresh."sales_order_id"'), ("sku_id", 'fresh."sku_id"'), ("qty", 'fresh."qty"')]
    checks = reference_check.set_wise_checks(session, TARGETS["sales_order_lines"], written)
    assert checks is not None  # the test database's role is a superuser
    assert sorted((c.table, c.column, c.value) for c in checks) == [
        ("sales_orders", "id", 'fresh."sales_order_id"'), ("skus", "id", 'fresh."sku_id"')]


def test_a_self_reference_keeps_the_triggers(session: Session) -> None:
    assert reference_check.set_wise_checks(session, TARGETS["categories"], [("parent_id", "x")]) is None


def test_a_value_naming_no_row_fails_the_batch(session: Session) -> None:
    category = session.execute(text("INSERT INTO categories (code, name) VALUES (:c, 'c') RETURNING id"),
                               {"c": ref("cat")}).scalar_one()
    staging, run = a_batch(session, [category, category, 2**62])
    check = ReferenceCheck("fk_products_category_id_categories", 'fresh."sku_id"', "categories", "id")

    with pytest.raises(BrokenReference, match=r"fk_products_category_id_categories: categories.id = "
                                              r"4611686018427387904 does not exist"):
        reference_check.verify(session, [check], staging=staging, batch_no=1, run_id=run)


def test_values_that_exist_pass_and_are_locked_against_deletes(session: Session, migrated_engine: Engine) -> None:
    category = session.execute(text("INSERT INTO categories (code, name) VALUES (:c, 'c') RETURNING id"),
                               {"c": ref("cat")}).scalar_one()
    session.commit()
    staging, run = a_batch(session, [category])
    check = ReferenceCheck("fk", 'fresh."sku_id"', "categories", "id")
    reference_check.verify(session, [check], staging=staging, batch_no=1, run_id=run)
    with migrated_engine.connect() as other:  # another transaction may not delete what the batch references
        other.execute(text("SET lock_timeout = '200ms'"))
        with pytest.raises(Exception, match="lock timeout"):
            other.execute(text("DELETE FROM categories WHERE id = :c"), {"c": category})


@pytest.fixture
def plain_role_url(migrated_engine: Engine) -> Iterator[URL]:
    """A login role of the test database that is not a superuser."""
    role = f"erpops_plain_{uuid.uuid4().hex[:8]}"
    admin = migrated_engine.url
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN PASSWORD \'plain\'')
        conn.execute(f'GRANT CONNECT ON DATABASE "{admin.database}" TO "{role}"')
    yield admin.set(username=role, password="plain")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')


def test_a_role_that_may_not_switch_triggers_off_keeps_them_and_says_so_once(
        plain_role_url: URL, caplog: pytest.LogCaptureFixture) -> None:
    engine = create_engine(plain_role_url)
    try:
        with Session(engine) as session, caplog.at_level(logging.WARNING, logger=reference_check.__name__):
            for _ in range(2):
                assert reference_check.set_wise_checks(session, TARGETS["sales_order_lines"], [("sku_id", "x")]) \
                    is None
    finally:
        engine.dispose()
    warned = [r for r in caplog.records if "session_replication_role" in r.getMessage()]
    assert len(warned) == 1
