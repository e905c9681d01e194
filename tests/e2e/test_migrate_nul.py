"""A NUL byte in a CSV cell ends `erpops migrate` in one line naming file, row and column (it was a traceback)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow
MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


def test_a_nul_byte_in_a_cell_is_one_line_with_exit_2(migrate_env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    customers = root / "customers.csv"
    customers.write_bytes(customers.read_bytes().replace("张伟".encode(), "张\x00伟".encode(), 1))

    result = run_erpops("migrate", "--mapping", str(root / "mapping.yaml"), env=migrate_env)

    stderr = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert len(stderr) == 1 and stderr[0].startswith("erpops: "), stderr
    assert f"{customers} row 2 column 'name': contains a NUL byte (0x00)" in stderr[0]
