"""`erpops backup` as an operator runs it: create, list, verify and restore --into, all with --json."""

from __future__ import annotations

import json
import uuid

import psycopg
from sqlalchemy.engine import URL, make_url

from tests.e2e.cli import run_erpops


def test_create_list_verify_and_restore_into_a_new_database(db_env: dict[str, str], pg_server: URL) -> None:
    assert run_erpops("db", "upgrade", env=db_env).returncode == 0
    db_env["ERPOPS_BACKUP_KEEP"] = "3"
    created = run_erpops("backup", "create", "--label", "e2e", "--json", env=db_env)
    assert created.returncode == 0, created.stderr
    backup = json.loads(created.stdout)
    fingerprint = json.loads(run_erpops("db", "fingerprint", "--json", env=db_env).stdout)["fingerprint"]
    assert backup["fingerprint"] == fingerprint and backup["size_bytes"] > 0 and backup["label"] == "e2e"

    listed = json.loads(run_erpops("backup", "list", "--json", env=db_env).stdout)
    assert [b["id"] for b in listed["backups"]] == [backup["id"]]

    verified = run_erpops("backup", "verify", backup["id"], "--json", env=db_env)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True

    refused = run_erpops("backup", "restore", backup["id"], env=db_env)
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines() == [
        f"erpops: restoring over the live database {make_url(db_env['ERPOPS_DATABASE_URL']).database} "
        "replaces its data: pass --yes"
    ]

    name = f"erpops_e2e_restored_{uuid.uuid4().hex[:8]}"
    try:
        restored = run_erpops("backup", "restore", backup["id"], "--into", name, "--json", env=db_env)
        assert restored.returncode == 0, restored.stderr
        assert json.loads(restored.stdout)["fingerprint"] == fingerprint
        copy_env = db_env | {"ERPOPS_DATABASE_URL": pg_server.set(database=name).render_as_string(False)}
        copied = json.loads(run_erpops("db", "fingerprint", "--json", env=copy_env).stdout)
        assert copied["fingerprint"] == fingerprint
    finally:
        dsn = pg_server.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
