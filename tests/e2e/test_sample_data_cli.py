"""`erpops sample-data` with a bad number ends in one line naming the option, never a usage block."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import run_erpops
from tests.e2e.test_cli_errors import assert_one_clear_line


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--orders", "-5", "--orders must be between 1 and 5,000,000, not -5"),
    ("--orders", "many", "--orders: 'many' is not a whole number"),
    ("--seed", "1.5", "--seed: '1.5' is not a whole number"),
    ("--dirty-rate", "0.9", "--dirty-rate must be between 0.0 and 0.5, not 0.9"),
    ("--dirty-rate", "nan", "--dirty-rate must be between 0.0 and 0.5, not nan"),
])
def test_a_bad_number_is_one_line_with_exit_2(cli_env: dict[str, str], tmp_path: Path, option: str, value: str,
                                              says: str) -> None:
    result = run_erpops("sample-data", str(tmp_path / "legacy"), option, value, env=cli_env)
    assert_one_clear_line(result, says)
    assert result.returncode == 2 and "Usage" not in result.stderr
    assert not (tmp_path / "legacy").exists()
