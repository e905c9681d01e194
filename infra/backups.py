"""Create, verify and restore backups of the ERP database with pg_dump/pg_restore (the service behind `erpops backup`).

The fingerprint of a backup is taken inside the very snapshot pg_dump dumps (`pg_export_snapshot()` and
`pg_dump --snapshot`), so writes during a backup cannot make a good dump fail its verification.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from erp_models.fingerprint import database_fingerprint
from erp_models.invariants import find_violations
from erp_models.ops.backups import BackupManifest, ensure_restorable, expired_backups, new_backup_id
from infra.backup_store import BackupStore
from infra.errors import ErpopsError
from infra.migrate import current_revision, head_revision, is_older, known_revisions
from infra.pg_tools import PgTools, dump, find_tools, restore, server_version_num


@dataclass(frozen=True)
class CreatedBackup:
    manifest: BackupManifest
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RestoredDatabase:
    """What a restore (or a verification's scratch restore) produced."""

    backup_id: str
    database: str
    expected_fingerprint: str | None
    fingerprint: str | None
    violations: list[str]
    duration_s: float

    @property
    def fingerprint_matches(self) -> bool:
        return self.expected_fingerprint is not None and self.fingerprint == self.expected_fingerprint

    @property
    def ok(self) -> bool:
        return self.fingerprint_matches and not self.violations


def describe_source(url: URL) -> str:
    host = url.query.get("host") or url.host or "localhost"
    if isinstance(host, str) and host.startswith("/"):  # a Unix socket directory: no port to name
        return f"{host}/{url.database}"
    return f"{host}:{url.port or 5432}/{url.database}"


def _engine(url: URL, *, isolation_level: str = "READ COMMITTED") -> Engine:
    return create_engine(url, pool_size=1, max_overflow=0, isolation_level=isolation_level)


def _tools(engine: Engine) -> PgTools:
    with engine.connect() as conn:
        return find_tools(server_version_num(conn))


def create_backup(database_url: str, store: BackupStore, *, label: str | None, keep: int) -> CreatedBackup:
    """Dump the database, record its manifest, then drop the backups beyond the `keep` newest of this database."""
    url = make_url(database_url)
    backup_id = new_backup_id(datetime.now(UTC), label)
    store.root.mkdir(parents=True, exist_ok=True)
    partial = store.root / f".{backup_id}.dump.partial"
    engine = _engine(url, isolation_level="REPEATABLE READ")
    started = time.monotonic()
    try:
        with engine.connect() as conn, conn.begin():
            version = server_version_num(conn)
            tools = find_tools(version)
            snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())
            revision = current_revision_in(conn)
            fingerprint = None
            if revision is not None and revision == head_revision(engine):
                fingerprint = database_fingerprint(Session(bind=conn))[1]
            dump(tools, url, partial, snapshot=snapshot)
        partial.replace(store.dump_path(backup_id))
    finally:
        partial.unlink(missing_ok=True)
        engine.dispose()
    manifest = BackupManifest(
        id=backup_id, label=label, created_at=datetime.now(UTC), source=describe_source(url),
        database=url.database or "", server_version=version, pg_dump_version=tools.version, revision=revision,
        fingerprint=fingerprint, size_bytes=store.dump_path(backup_id).stat().st_size,
        duration_s=round(time.monotonic() - started, 3),
    )
    store.save(manifest)
    removed = expired_backups(store.manifests(), keep=keep, source=manifest.source)
    for old in removed:
        store.remove(old)
    return CreatedBackup(manifest, [m.id for m in removed])


def current_revision_in(conn: object) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()  # type: ignore[arg-type]


def verify_backup(database_url: str, store: BackupStore, backup_id: str) -> RestoredDatabase:
    """Restore into a scratch database on the same server, fingerprint and check it, then drop it."""
    manifest = store.get(backup_id)
    scratch = f"erpops_verify_{secrets.token_hex(5)}"
    url = make_url(database_url)
    try:
        return _restore_new(url, scratch, manifest, store.dump_path(manifest.id))
    finally:
        drop_database(url, scratch)


def restore_backup(database_url: str, store: BackupStore, backup_id: str, *, into: str | None) -> RestoredDatabase:
    """Restore into a new database `into`, or over the live database (which must be at the backup's revision)."""
    manifest = store.get(backup_id)
    url = make_url(database_url)
    engine = _engine(url)
    try:
        ensure_restorable(manifest, known_revisions(engine))
        if into is not None:
            return _restore_new(url, into, manifest, store.dump_path(manifest.id))
        live = current_revision(engine)
        if live is not None and live != manifest.revision:
            target = manifest.revision or "base"
            move = "downgrade" if manifest.revision is None or is_older(engine, manifest.revision, live) else "upgrade"
            raise ErpopsError(
                f"the live database {url.database} is at schema revision {live}, backup {manifest.id} at {target}; "
                f"run `erpops db {move} {target}` first, or restore --into a new database"
            )
        started = time.monotonic()
        restore(_tools(engine), url, store.dump_path(manifest.id), clean=True)
        return _inspect(url, manifest, time.monotonic() - started)
    finally:
        engine.dispose()


def _restore_new(url: URL, name: str, manifest: BackupManifest, dump_file: Path) -> RestoredDatabase:
    admin = _engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        tools = _tools(admin)  # before creating anything: a missing pg_restore leaves no empty database behind
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                raise ErpopsError(f"database {name} already exists; restore --into a new name")
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    started = time.monotonic()
    try:
        restore(tools, url.set(database=name), dump_file, clean=False)
    except ErpopsError:
        drop_database(url, name)  # created above for this restore: leave no half-made database behind
        raise
    return _inspect(url.set(database=name), manifest, time.monotonic() - started)


def _inspect(url: URL, manifest: BackupManifest, duration_s: float) -> RestoredDatabase:
    """Fingerprint and invariant check of a restored database, when its schema is the one this code models."""
    engine = _engine(url)
    try:
        fingerprint, violations = None, []
        if manifest.revision is not None and current_revision(engine) == head_revision(engine):
            with Session(engine) as session:
                fingerprint = database_fingerprint(session)[1]
                violations = [f"{v.check} ({v.count})" for v in find_violations(session)]
    finally:
        engine.dispose()
    return RestoredDatabase(manifest.id, url.database or "", manifest.fingerprint, fingerprint, violations,
                            round(duration_s, 3))


def replace_with_backup(database_url: str, store: BackupStore, backup_id: str) -> RestoredDatabase:
    """Put a backup in place of the live database, whatever revision that is at now (a failed upgrade's).

    `restore --clean` would leave behind what a newer revision added, so the backup is restored into a new
    database first and, once that worked, the two swap names: the live database is only touched when the
    replacement is ready. Sessions on the live database are ended; the replaced database is dropped.
    """
    manifest = store.get(backup_id)
    url = make_url(database_url)
    live = url.database or ""
    suffix = secrets.token_hex(4)
    fresh, old = f"{live[:40]}_restored_{suffix}", f"{live[:40]}_replaced_{suffix}"
    restored = _restore_new(url, fresh, manifest, store.dump_path(manifest.id))
    admin = _engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            _rename_away(conn, live, old)
            conn.execute(text(f'ALTER DATABASE "{fresh}" RENAME TO "{live}"'))
    finally:
        admin.dispose()
    drop_database(url, old)
    return RestoredDatabase(manifest.id, live, restored.expected_fingerprint, restored.fingerprint,
                            restored.violations, restored.duration_s)


def _rename_away(conn: Connection, live: str, old: str, attempts: int = 20) -> None:
    """Rename `live` to `old`; a client reconnecting between ending the sessions and the rename is ended again."""
    for attempt in range(attempts):
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                          "AND pid <> pg_backend_pid()"), {"n": live})
        try:
            conn.execute(text(f'ALTER DATABASE "{live}" RENAME TO "{old}"'))
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise ErpopsError(f"database {live} stays in use: cannot swap the restored copy in") from None
            time.sleep(0.25)


def drop_database(url: URL, name: str) -> None:
    """Drop database `name` on the server of `url`, closing whatever is connected to it."""
    admin = _engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
