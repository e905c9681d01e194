"""Bad input to `erpops migrate`: one line naming the file, row and column, a non-zero exit, nothing committed."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow
MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


def broken(tmp_path: Path, change: Callable[[Path], None]) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    change(root)
    return root / "mapping.yaml"


def edit_mapping(old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / "mapping.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return change


def write(name: str, content: bytes) -> Callable[[Path], None]:
    return lambda root: (root / name).write_bytes(content)


GBK_CUSTOMERS = "id,name,mobile,province,city,district\nC1,张伟,13800138000,浙江省,杭州市,西湖区\n".encode("gbk")
CASES = {
    "missing file": (lambda root: (root / "lines.csv").unlink(), r"lines\.csv: no file matches"),
    "wrong encoding": (write("customers.csv", GBK_CUSTOMERS), r"customers\.csv row 2: byte 0x.* is not valid utf-8"),
    "missing column": (write("warehouses.csv", "code,name,province\nWH-HZ,杭州仓,浙江省\n".encode()),
                       r"warehouses\.csv row 1 column 'city': missing"),
    "empty file": (write("stock.csv", b""), r"stock\.csv: the file is empty"),
    "broken quoting": (write("skus.csv", 'sku,product,barcode,spec,weight,price\nS1,P1,690,"黑色,350,1.00\n'.encode()),
                       r"skus\.csv: row \d+: broken CSV quoting"),
    "unknown entity": (edit_mapping("    target: warehouses", "    target: depots"),
                       r"entities\.warehouses\.target: unknown target 'depots'"),
    "unknown column": (edit_mapping("      city: {from: city}", "      town: {from: city}"),
                       r"unknown column 'town' for target warehouses"),
    "watermark not a date": (edit_mapping("watermark: updated_at", "watermark: platform"),
                             r"orders\.csv row 2 column 'platform': watermark '天猫' is not a date and time; "
                             r"say how to compare it"),
    "cycle": (edit_mapping("    target: categories\n", "    target: categories\n    predecessors: [products]\n"),
              r"predecessors form a cycle: categories -> products -> categories"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_commits_nothing(migrate_env: dict[str, str], tmp_path: Path, case: str) -> None:
    change, expected = CASES[case]
    before = run_erpops("db", "fingerprint", "--json", env=migrate_env).stdout
    result = run_erpops("migrate", "--mapping", str(broken(tmp_path, change)), env=migrate_env)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert len(lines) == 1 and lines[0].startswith("erpops: "), lines
    assert re.search(expected, lines[0]), lines[0]
    assert json.loads(run_erpops("db", "fingerprint", "--json", env=migrate_env).stdout) == json.loads(before)
    with psycopg.connect(migrate_env["ERPOPS_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")) as conn:
        started = [str(r[0]) for r in conn.execute("SELECT id FROM migration_runs")]
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'migration_staging'")}
        staged = {f"r{run.replace('-', '')[:12]}_{entity}" for run, entity in conn.execute(
            "SELECT DISTINCT run_id::text, entity FROM migration_checkpoints WHERE phase = 'staged'")}
    for run in started:  # the line names the run, and how to resume or undo it
        assert f"migration run {run} failed" in lines[0] and f"erpops migrate --undo {run}" in lines[0], lines[0]
    assert tables == staged  # kept for --resume only where something was staged; no empty tables
