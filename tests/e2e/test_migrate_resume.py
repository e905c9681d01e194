"""kill -9 in the middle of a load, then --resume: the result and the report equal a clean run's, row for row."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.cli import ERPOPS, run_erpops

pytestmark = pytest.mark.slow
MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"
ORDERS, LINES_PER_ORDER = 3000, 8


def big_mapping(tmp_path: Path) -> Path:
    """The mini shop with thousands of clean orders, in batches of 1000 rows."""
    root = tmp_path / "big"
    shutil.copytree(MINI, root)
    mapping = root / "mapping.yaml"
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("batch_size: 2", "batch_size: 1000"), "utf-8")
    with (root / "orders.csv").open("a", encoding="utf-8") as orders, \
            (root / "lines.csv").open("a", encoding="utf-8") as lines:
        for n in range(ORDERS):
            orders.write(f"WS{n:06d},天猫,C1,2024-07-01 10:00:00,已完成,{LINES_PER_ORDER * 2.5:.2f},2024-07-01\n")
            for line in range(1, LINES_PER_ORDER + 1):
                lines.write(f"WS{n:06d},{line},S{1 + line % 3},1,2.50\n")
    return mapping


def dsn(env: dict[str, str]) -> str:
    return env["ERPOPS_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")


def loaded_line_batches(env: dict[str, str]) -> int:
    with psycopg.connect(dsn(env)) as conn:
        row = conn.execute("""SELECT count(*) FROM migration_checkpoints WHERE entity = 'sales_order_lines'
                              AND phase = 'loaded' AND batch_no > 0""").fetchone()
    return int(row[0]) if row else 0


COUNTS = ("read", "loaded", "inserted", "updated", "unchanged", "quarantined", "rejected", "reasons", "gate")


def report(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What the run reports per entity, apart from ids and times."""
    return {name: {k: entity[k] for k in COUNTS} for name, entity in doc["entities"].items()}


def flow_run_of_unfinished_run(env: dict[str, str]) -> str:
    with psycopg.connect(dsn(env)) as conn:
        row = conn.execute("SELECT flow_run_id FROM migration_runs WHERE status = 'running'").fetchone()
    assert row is not None and row[0] is not None
    return str(row[0])


def flow_run_state(env: dict[str, str], flow_run_id: str) -> str:
    url = f"http://127.0.0.1:{env['ERPOPS_PREFECT_PORT']}/api/flow_runs/{flow_run_id}"
    state: str = httpx.get(url, timeout=30).json()["state"]["type"]
    return state


def staging_tables(env: dict[str, str]) -> list[str]:
    with psycopg.connect(dsn(env)) as conn:
        return [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'migration_staging'")]


def clean_run(mapping: Path, shared_stack: dict[str, str], new_database: Any) -> tuple[dict[str, Any], dict[str, str]]:
    env = dict(shared_stack)
    env["ERPOPS_DATABASE_URL"] = new_database().render_as_string(hide_password=False)
    assert run_erpops("db", "upgrade", env=env).returncode == 0
    doc: dict[str, Any] = json.loads(run_erpops("migrate", "--mapping", str(mapping), "--json", env=env).stdout)
    assert doc["status"] == "passed"
    assert doc["entities"]["sales_order_lines"]["loaded"] == ORDERS * LINES_PER_ORDER + 2
    return doc, env


def kill_while_loading_lines(mapping: Path, env: dict[str, str]) -> None:
    victim = subprocess.Popen([ERPOPS, "migrate", "--mapping", str(mapping), "--json"], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=os.path.dirname(env["ERPOPS_STATE_DIR"]))
    deadline = time.monotonic() + 240
    while loaded_line_batches(env) < 3:
        assert victim.poll() is None, "the run finished before it could be killed"
        assert time.monotonic() < deadline, "the run never reached the order lines"
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert 0 < loaded_line_batches(env) < ORDERS * LINES_PER_ORDER // 1000


def fingerprint(env: dict[str, str]) -> dict[str, object]:
    doc: dict[str, object] = json.loads(run_erpops("db", "fingerprint", "--json", env=env).stdout)
    return doc


def test_a_killed_load_resumes_to_exactly_what_a_clean_load_gives_and_reports(
    migrate_env: dict[str, str], shared_stack: dict[str, str], new_database: object, tmp_path: Path
) -> None:
    mapping = big_mapping(tmp_path)
    clean, clean_env = clean_run(mapping, shared_stack, new_database)
    kill_while_loading_lines(mapping, migrate_env)
    killed_flow_run = flow_run_of_unfinished_run(migrate_env)
    assert flow_run_state(migrate_env, killed_flow_run) == "RUNNING"

    resumed = json.loads(run_erpops("migrate", "--mapping", str(mapping), "--resume", "--json",
                                    env=migrate_env).stdout)
    assert resumed["status"] == "passed"
    lines = resumed["entities"]["sales_order_lines"]
    assert lines["reconciliation"]["ok"], lines["reconciliation"]
    assert report(resumed) == report(clean)
    assert flow_run_state(migrate_env, killed_flow_run) == "CRASHED"
    resumed_tables, clean_tables = fingerprint(migrate_env)["tables"], fingerprint(clean_env)["tables"]
    assert {t: v for t, v in resumed_tables.items() if clean_tables.get(t) != v} == {}  # type: ignore[union-attr]
    assert run_erpops("db", "check", env=migrate_env).returncode == 0
    assert staging_tables(migrate_env) == []  # a passed run leaves no staging


def test_staging_a_server_crash_emptied_is_staged_again_on_resume(
    migrate_env: dict[str, str], shared_stack: dict[str, str], new_database: object, tmp_path: Path
) -> None:
    mapping = big_mapping(tmp_path)
    clean, clean_env = clean_run(mapping, shared_stack, new_database)
    kill_while_loading_lines(mapping, migrate_env)
    with psycopg.connect(dsn(migrate_env)) as conn:  # what a crash does to UNLOGGED tables
        for table in staging_tables(migrate_env):
            conn.execute(f'TRUNCATE migration_staging."{table}"')

    resumed = json.loads(run_erpops("migrate", "--mapping", str(mapping), "--resume", "--json",
                                    env=migrate_env).stdout)
    assert resumed["status"] == "passed", resumed
    assert report(resumed) == report(clean)
    resumed_tables, clean_tables = fingerprint(migrate_env)["tables"], fingerprint(clean_env)["tables"]
    assert {t: v for t, v in resumed_tables.items() if clean_tables.get(t) != v} == {}  # type: ignore[union-attr]
    assert run_erpops("db", "check", env=migrate_env).returncode == 0
