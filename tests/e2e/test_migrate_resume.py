"""kill -9 in the middle of a load, then --resume: the result equals a clean run's, row for row."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

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


def fingerprint(env: dict[str, str]) -> dict[str, object]:
    doc: dict[str, object] = json.loads(run_erpops("db", "fingerprint", "--json", env=env).stdout)
    return doc


def test_a_killed_load_resumes_to_exactly_what_a_clean_load_gives(
    migrate_env: dict[str, str], shared_stack: dict[str, str], new_database: object, tmp_path: Path
) -> None:
    mapping = big_mapping(tmp_path)
    clean_env = dict(shared_stack)
    clean_env["ERPOPS_DATABASE_URL"] = new_database().render_as_string(hide_password=False)  # type: ignore[operator]
    assert run_erpops("db", "upgrade", env=clean_env).returncode == 0
    clean = json.loads(run_erpops("migrate", "--mapping", str(mapping), "--json", env=clean_env).stdout)
    assert clean["status"] == "passed"
    assert clean["entities"]["sales_order_lines"]["loaded"] == ORDERS * LINES_PER_ORDER + 2

    victim = subprocess.Popen([ERPOPS, "migrate", "--mapping", str(mapping), "--json"], env=migrate_env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=os.path.dirname(migrate_env["ERPOPS_STATE_DIR"]))
    deadline = time.monotonic() + 240
    while loaded_line_batches(migrate_env) < 3:
        assert victim.poll() is None, "the run finished before it could be killed"
        assert time.monotonic() < deadline, "the run never reached the order lines"
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert 0 < loaded_line_batches(migrate_env) < ORDERS * LINES_PER_ORDER // 1000

    resumed = json.loads(run_erpops("migrate", "--mapping", str(mapping), "--resume", "--json",
                                    env=migrate_env).stdout)
    assert (resumed["status"], resumed["run_id"]) == ("passed", resumed["run_id"])
    lines = resumed["entities"]["sales_order_lines"]
    assert lines["reconciliation"]["ok"], lines["reconciliation"]
    resumed_tables, clean_tables = fingerprint(migrate_env)["tables"], fingerprint(clean_env)["tables"]
    assert {t: v for t, v in resumed_tables.items() if clean_tables.get(t) != v} == {}  # type: ignore[union-attr]
    assert run_erpops("db", "check", env=migrate_env).returncode == 0
