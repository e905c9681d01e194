"""Backups with pg_dump/pg_restore on a real PostgreSQL: verified, restored, refused when too new, and pruned."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from erp_models.errors import Conflict
from erp_models.fingerprint import database_fingerprint
from infra.backup_store import BackupStore
from infra.backups import create_backup, restore_backup, verify_backup
from infra.migrate import head_revision, upgrade


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def fingerprint_of(url: URL) -> str:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return database_fingerprint(session)[1]
    finally:
        engine.dispose()


@pytest.fixture
def erp_url(new_database: Callable[[], URL]) -> URL:
    """A fresh ERP database at head holding a little stock."""
    url = new_database()
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute("INSERT INTO warehouses (code, name) VALUES ('WH1', '上海仓')")
        conn.execute("INSERT INTO categories (code, name) VALUES ('C1', '家居')")
        conn.execute("INSERT INTO products (code, name, category_id) SELECT 'P1', '香薰蜡烛', id FROM categories")
        conn.execute("INSERT INTO skus (product_id, code, list_price) SELECT id, 'S1', 5900 FROM products")
    return url


@pytest.fixture
def store(tmp_path: Path) -> BackupStore:
    return BackupStore(tmp_path / "backups")


@pytest.fixture
def spare_name(pg_server: URL) -> Iterator[str]:
    """A database name no one uses yet, dropped after the test."""
    name = f"erpops_restored_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(_dsn(pg_server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_new_backup_records_what_it_holds_and_verifies(erp_url: URL, store: BackupStore) -> None:
    created = create_backup(_dsn(erp_url), store, label="before-golive", keep=5).manifest
    assert created.fingerprint == fingerprint_of(erp_url)
    assert created.revision == head_revision(create_engine(erp_url))
    assert created.size_bytes == store.dump_path(created.id).stat().st_size > 0
    assert created.label == "before-golive" and created.id.endswith("-before-golive")
    verified = verify_backup(_dsn(erp_url), store, created.id)
    assert verified.ok and verified.fingerprint == created.fingerprint and verified.violations == []


def test_restore_into_a_new_database_gives_the_same_fingerprint(
    erp_url: URL, store: BackupStore, spare_name: str
) -> None:
    created = create_backup(_dsn(erp_url), store, label=None, keep=5).manifest
    restored = restore_backup(_dsn(erp_url), store, created.id, into=spare_name)
    assert restored.database == spare_name
    assert fingerprint_of(erp_url.set(database=spare_name)) == created.fingerprint == restored.fingerprint


def test_restore_over_the_live_database_brings_back_the_backed_up_content(erp_url: URL, store: BackupStore) -> None:
    created = create_backup(_dsn(erp_url), store, label=None, keep=5).manifest
    with psycopg.connect(_dsn(erp_url), autocommit=True) as conn:
        conn.execute("INSERT INTO warehouses (code, name) VALUES ('WH2', '广州仓')")
        conn.execute("DELETE FROM skus")
    assert fingerprint_of(erp_url) != created.fingerprint
    restore_backup(_dsn(erp_url), store, created.id, into=None)
    assert fingerprint_of(erp_url) == created.fingerprint


def test_a_backup_from_a_newer_schema_is_refused_in_one_line(
    erp_url: URL, store: BackupStore, spare_name: str
) -> None:
    created = create_backup(_dsn(erp_url), store, label=None, keep=5).manifest
    manifest_file = store.root / f"{created.id}.json"
    doc = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest_file.write_text(json.dumps(doc | {"revision": "9999_from_the_future"}), encoding="utf-8")
    with pytest.raises(Conflict) as refused:
        restore_backup(_dsn(erp_url), store, created.id, into=spare_name)
    assert "9999_from_the_future" in refused.value.message and "\n" not in refused.value.message
    with pytest.raises(Conflict):
        restore_backup(_dsn(erp_url), store, created.id, into=None)
    assert fingerprint_of(erp_url) == created.fingerprint


def test_retention_keeps_the_newest_backups_of_the_database(erp_url: URL, store: BackupStore) -> None:
    ids = [create_backup(_dsn(erp_url), store, label=None, keep=2).manifest.id for _ in range(4)]
    assert [m.id for m in store.manifests()] == ids[-2:]
    assert sorted(p.name for p in store.root.iterdir()) == sorted(
        f"{i}.{ext}" for i in ids[-2:] for ext in ("dump", "json")
    )


def test_restore_over_a_live_database_at_another_revision_is_refused_and_changes_nothing(
    erp_url: URL, store: BackupStore
) -> None:
    from infra.errors import ErpopsError
    from infra.migrate import current_revision, downgrade

    created = create_backup(_dsn(erp_url), store, label=None, keep=5).manifest
    engine = create_engine(erp_url)
    downgrade(engine, "-1")
    before = current_revision(engine)
    with pytest.raises(ErpopsError) as refused:
        restore_backup(_dsn(erp_url), store, created.id, into=None)
    assert refused.value.message == (
        f"the live database {erp_url.database} is at schema revision {before}, backup {created.id} at "
        f"{created.revision}; run `erpops db upgrade {created.revision}` first, or restore --into a new database"
    )
    assert current_revision(engine) == before
    engine.dispose()
