"""`erpops ops drill` as an operator runs it: no backup, a corrupted backup, then a good one."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow


def drill_incident(env: dict[str, str]) -> dict[str, object] | None:
    listed = json.loads(run_erpops("ops", "incidents", "list", "--all", "--json", env=env).stdout)["incidents"]
    mine = [i for i in listed if i["check"] == "ops.restore_drill"]
    return mine[0] if mine else None


def test_a_corrupted_backup_fails_the_drill_and_a_good_one_resolves_its_incident(migrate_env: dict[str, str]) -> None:
    env = migrate_env
    dsn = env["ERPOPS_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO warehouses (code, name) VALUES ('WH-DRILL', '杭州仓')")

    none = run_erpops("ops", "drill", "--json", env=env)
    assert none.returncode == 1, none.stderr
    assert "no backup of" in json.loads(none.stdout)["reasons"][0]

    made = json.loads(run_erpops("backup", "create", "--json", env=env).stdout)
    dump = Path(made["path"])
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])  # a backup cut off halfway
    corrupted = run_erpops("ops", "drill", "--json", env=env)
    assert corrupted.returncode == 1
    failed = json.loads(corrupted.stdout)
    assert failed["backup_id"] == made["id"] and failed["restore_error"]
    assert failed["evidence"] == {"ops.restore_drill.ok": 0.0, "ops.restore_drill.rpo_s": failed["rpo_s"]}
    assert f"incident #{failed['incident']['incident_id']}" in corrupted.stderr
    incident = drill_incident(env)
    assert incident is not None and incident["status"] == "open" and incident["occurrences"] == 2
    assert "did not restore" in str(incident["summary"])

    good = run_erpops("ops", "drill", "--take-backup", "--max-rpo", "3600", "--json", env=env)
    assert good.returncode == 0, good.stderr
    passed = json.loads(good.stdout)
    assert passed["ok"] is True and passed["fingerprint"] == passed["expected_fingerprint"]
    assert passed["evidence"]["ops.restore_drill.ok"] == 1.0
    assert 0 < passed["evidence"]["ops.restore_drill.rto_s"] < 120
    assert 0 <= passed["evidence"]["ops.restore_drill.rpo_s"] < 60
    assert passed["incident"]["resolved"] == [incident["id"]]
    resolved = drill_incident(env)
    assert resolved is not None and resolved["status"] == "resolved"
    evidence = json.loads(run_erpops("evidence", "list", "--prefix", "ops.restore_drill", "--json", env=env).stdout)
    assert "ops.restore_drill.ok" in json.dumps(evidence)

