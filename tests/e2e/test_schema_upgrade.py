"""`erpops db upgrade` as an operator runs it: the bare upgrade on an empty database, the schema-upgrade flow on
one with business data, and a failing revision (test-only, on top of head) rolled back to where it started."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psycopg
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
HEAD = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_current_head()

PROBE = '''"""Test only: a harmless table on top of head that fails on purpose ({mode})."""
import sqlalchemy as sa
from alembic import op

revision = "e2e_probe"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("e2e_upgrade_probe", sa.Column("id", sa.Integer, primary_key=True))
    if "{mode}" == "upgrade":
        raise RuntimeError("planted failure in the upgrade")


def downgrade() -> None:
    if "{mode}" == "downgrade":
        raise NotImplementedError("this revision cannot be downgraded")
    op.drop_table("e2e_upgrade_probe")


def verify(connection) -> None:
    raise AssertionError("planted: e2e_upgrade_probe holds none of the rows it should")
'''


def dsn(env: dict[str, str]) -> str:
    return env["ERPOPS_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")


def with_business_data(env: dict[str, str]) -> None:
    with psycopg.connect(dsn(env), autocommit=True) as conn:
        conn.execute("INSERT INTO warehouses (code, name) VALUES ('WH-UP', '广州仓')")


def fingerprint(env: dict[str, str]) -> str:
    done = run_erpops("db", "fingerprint", "--json", env=env)
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["fingerprint"])


def test_an_empty_database_keeps_the_bare_upgrade(db_env: dict[str, str]) -> None:
    upgraded = run_erpops("db", "upgrade", "--json", env=db_env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert json.loads(upgraded.stdout) == {"status": "passed", "flow": False, "start_revision": None,
                                           "revision": HEAD}
    again = run_erpops("db", "upgrade", env=db_env)  # seeded roles and channels are not business data
    assert (again.returncode, again.stdout.strip(), again.stderr) == (0, f"schema at {HEAD}", "")


def test_a_database_with_business_data_upgrades_through_the_flow(migrate_env: dict[str, str]) -> None:
    with_business_data(migrate_env)
    assert run_erpops("db", "downgrade", "0012", env=migrate_env).returncode == 0
    upgraded = run_erpops("db", "upgrade", "--json", env=migrate_env)
    assert upgraded.returncode == 0, upgraded.stderr
    doc = json.loads(upgraded.stdout)
    assert (doc["flow"], doc["status"], doc["start_revision"], doc["revision"]) == (True, "passed", "0012", HEAD)
    assert doc["applied"][0] == "0013" and doc["applied"][-1] == HEAD  # every revision after 0012, in order
    assert doc["backup_id"].endswith("-before-upgrade")
    assert doc["verified"] == ["db-check", "smoke"]
    assert set(doc["timings_s"]) >= {"backup", "upgrade", "db_check", "smoke"}


@pytest.mark.parametrize(("mode", "rollback"), [("verify", "downgrade"), ("downgrade", "restore"),
                                                ("upgrade", "transaction")])
def test_a_failing_revision_is_rolled_back_to_where_it_started(migrate_env: dict[str, str], tmp_path: Path,
                                                               mode: str, rollback: str) -> None:
    env = migrate_env
    with_business_data(env)
    (tmp_path / "e2e_probe.py").write_text(PROBE.format(mode=mode, head=HEAD), encoding="utf-8")
    before = fingerprint(env)

    upgraded = run_erpops("db", "upgrade", "--extra-versions", str(tmp_path), "--json", env=env, timeout=600)
    assert upgraded.returncode == 1, upgraded.stderr
    doc = json.loads(upgraded.stdout)
    assert (doc["status"], doc["rollback"], doc["start_revision"], doc["revision"]) == (
        "rolled_back", rollback, HEAD, HEAD)
    assert doc["target_revision"] == "e2e_probe"
    assert doc["fingerprint_after"] == doc["fingerprint_before"]
    assert doc["failed_at"] == ("upgrade" if mode == "upgrade" else "verify")
    assert ("planted" in doc["reason"]) and f"incident #{doc['incident_id']}" in upgraded.stderr
    assert fingerprint(env) == before
    with psycopg.connect(dsn(env)) as conn:
        assert conn.execute("SELECT to_regclass('e2e_upgrade_probe')").fetchone() == (None,)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)
    listed = json.loads(run_erpops("ops", "incidents", "list", "--json", env=env).stdout)["incidents"]
    assert [i["check"] for i in listed if i["id"] == doc["incident_id"]] == ["ops.schema_upgrade"]
    api = f"http://127.0.0.1:{env['ERPOPS_PREFECT_PORT']}/api"
    run = httpx.get(f"{api}/flow_runs/{doc['flow_run_id']}", timeout=10).json()
    assert run["state"]["type"] == "FAILED" and "rolled back" in run["state"]["message"]
