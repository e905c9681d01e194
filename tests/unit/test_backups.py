"""Backup rules without a database: ids, retention, revisions, and which client tools fit a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import make_url

from erp_models.errors import Conflict, InvalidInput
from erp_models.ops.backups import BackupManifest, ensure_restorable, expired_backups, new_backup_id
from infra.pg_tools import BackupToolError, find_tools, libpq_target

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def manifest(n: int, source: str = "db:5432/erp", revision: str | None = "0008") -> BackupManifest:
    return BackupManifest(
        id=f"b{n}", created_at=T0 + timedelta(minutes=n), source=source, database="erp", server_version=180006,
        pg_dump_version="18.6", revision=revision, fingerprint="f", size_bytes=1, duration_s=0.1,
    )


def test_retention_drops_only_the_oldest_backups_of_the_same_database() -> None:
    backups = [manifest(1), manifest(2), manifest(3, source="other:5432/erp"), manifest(4), manifest(5)]
    assert [m.id for m in expired_backups(backups, keep=2, source="db:5432/erp")] == ["b2", "b1"]


def test_ids_sort_by_time_and_carry_the_label() -> None:
    first, second = new_backup_id(T0, "before-golive"), new_backup_id(T0 + timedelta(seconds=1), None)
    assert first.startswith("20261201T120000Z-") and first.endswith("-before-golive")
    assert first < second


def test_a_label_that_is_not_a_plain_word_is_refused() -> None:
    with pytest.raises(InvalidInput):
        new_backup_id(T0, "../etc")


def test_a_revision_the_code_does_not_know_is_refused_in_one_line() -> None:
    ensure_restorable(manifest(1), {"0007", "0008"})
    with pytest.raises(Conflict) as refused:
        ensure_restorable(manifest(1, revision="0009"), {"0007", "0008"})
    assert "0009" in refused.value.message and "\n" not in refused.value.message


def test_a_server_without_matching_client_tools_gets_a_line_naming_the_version() -> None:
    with pytest.raises(BackupToolError) as missing:
        find_tools(990001)
    assert "PostgreSQL 99" in missing.value.message and "pg_dump and pg_restore 99" in missing.value.message


def test_the_embedded_servers_socket_url_becomes_a_libpq_host() -> None:
    conninfo, env = libpq_target(make_url("postgresql+psycopg://postgres@/erp?host=/tmp/x y/pg"))
    assert conninfo == "host='/tmp/x y/pg' user='postgres' dbname='erp'"
    conninfo, env = libpq_target(make_url("postgresql+psycopg://erp:s3cret@db.internal:5433/erp"))
    assert conninfo == "host='db.internal' port='5433' user='erp' dbname='erp'" and env["PGPASSWORD"] == "s3cret"


def test_a_backup_is_found_by_id_by_label_newest_first_or_by_a_unique_prefix() -> None:
    from erp_models.errors import NotFound
    from erp_models.ops.backups import find_backup

    backups = [manifest(1).model_copy(update={"label": "pre"}), manifest(2).model_copy(update={"label": "pre"}),
               manifest(13)]
    assert find_backup(backups, "b1").id == "b1"
    assert find_backup(backups, "pre").id == "b2"
    with pytest.raises(InvalidInput):
        find_backup(backups, "b")
    with pytest.raises(NotFound):
        find_backup(backups, "zz")
