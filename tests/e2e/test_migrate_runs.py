"""Finding runs again: `migrate list`, a failure that names its run, the CLI table, and `migrate clean`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import psycopg
import pytest

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow
MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


def mini(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "mini")
    return tmp_path / "mini" / "mapping.yaml"


def staging_tables(env: dict[str, str]) -> list[str]:
    with psycopg.connect(env["ERPOPS_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")) as conn:
        return [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'migration_staging'")]


def test_a_rerun_shows_in_the_table_that_it_changed_nothing_within_80_columns(migrate_env: dict[str, str],
                                                                             tmp_path: Path) -> None:
    mapping = mini(tmp_path)
    assert run_erpops("migrate", "--mapping", str(mapping), env=migrate_env).returncode == 0
    again = run_erpops("migrate", "--mapping", str(mapping), env=migrate_env)
    assert again.returncode == 0, again.stderr[-2000:]
    lines = [line for line in again.stdout.splitlines() if not line.startswith("quarantined rows: ")]
    assert max(len(line.rstrip()) for line in lines) <= 80, again.stdout
    header = next(line.split() for line in lines if line.split()[:1] == ["entity"])
    assert header == ["entity", "read", "ins", "upd", "same", "quar", "rej", "recon"]
    rows = {cells[0]: cells for line in lines if (cells := line.split()) and len(cells) == len(header)}
    assert rows["skus"][1:] == ["3", "0", "0", "3", "0", "0", "ok"]
    assert rows["sales_order_lines"][1:] == ["4", "0", "0", "2", "1", "1", "ok"]

    listed = json.loads(run_erpops("migrate", "list", "--mapping", str(mapping), "--json", env=migrate_env).stdout)
    assert [r["status"] for r in listed["runs"]] == ["passed", "passed"]
    assert listed["runs"][0]["counts"]["inserted"] == 0 and listed["runs"][1]["counts"]["inserted"] == 16


def test_a_blocked_run_names_itself_and_leaves_no_staging_and_clean_drops_a_superseded_failure(
    migrate_env: dict[str, str], tmp_path: Path
) -> None:
    mapping = mini(tmp_path)
    skus = mapping.parent / "skus.csv"
    good = skus.read_bytes()
    skus.write_bytes(b'sku,product,barcode,spec,weight,price\nS1,P1,690,"x,350,1.00\n')
    failed = run_erpops("migrate", "--mapping", str(mapping), env=migrate_env)
    assert failed.returncode == 2
    run_id = re.search(r"migration run ([0-9a-f-]{36}) failed", failed.stderr)
    assert run_id is not None, failed.stderr
    assert f"erpops migrate --undo {run_id[1]}" in failed.stderr and "--resume" in failed.stderr
    kept = staging_tables(migrate_env)
    assert kept and all(t.startswith(f"r{run_id[1].replace('-', '')[:12]}_") for t in kept)  # for --resume

    skus.write_bytes(good)
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text.replace("gate: {max_quarantine_rate: 0.5}", "gate: {max_quarantine_rate: 0.01}"), "utf-8")
    blocked = run_erpops("migrate", "--mapping", str(mapping), env=migrate_env)
    assert blocked.returncode == 1
    listed = json.loads(run_erpops("migrate", "list", "--json", env=migrate_env).stdout)["runs"]
    assert [r["status"] for r in listed] == ["blocked", "failed"]
    assert f"migration run {listed[0]['id']} blocked" in blocked.stderr
    assert listed[0]["counts"]["quarantined"] > 0

    assert staging_tables(migrate_env) == kept  # the blocked run's staging is gone at once
    cleaned = run_erpops("migrate", "clean", env=migrate_env)
    assert cleaned.returncode == 0 and f"dropped {len(kept)} staging tables" in cleaned.stdout
    assert staging_tables(migrate_env) == []  # the newer run superseded the failed one: no resume needs them
