"""`erpops manual` writes every role's manual without a database, and refuses an unknown role in one line."""

from __future__ import annotations

import json
from pathlib import Path

from erp_models.enums import RoleName
from tests.e2e.cli import run_erpops


def test_the_manuals_of_every_role_are_written_without_a_database(cli_env: dict[str, str], tmp_path: Path) -> None:
    cli_env["ERPOPS_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/nothing"  # unreachable: must not matter
    out = tmp_path / "manuals"
    result = run_erpops("manual", str(out), "--json", env=cli_env, timeout=120)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    for role in RoleName:
        for suffix in (".md", ".html"):
            assert (out / f"{role.value}{suffix}").stat().st_size > 0
        assert summary["roles"][role.value]["operations"] > 0
    assert "warehouse.html" in (out / "index.html").read_text(encoding="utf-8")
    assert "/api/v1/purchase-orders/{po_id}/receipts" in (out / "warehouse.md").read_text(encoding="utf-8")


def test_one_role_only(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = run_erpops("manual", str(tmp_path), "--role", "warehouse", env=cli_env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "index.md", "warehouse.html", "warehouse.md"]


def test_an_unknown_role_is_one_line_naming_the_valid_roles(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = run_erpops("manual", str(tmp_path / "out"), "--role", "nosuch", env=cli_env, timeout=120)
    stderr = result.stderr.strip()
    assert result.returncode == 2
    assert "Traceback" not in stderr and len(stderr.splitlines()) == 1, stderr
    assert "nosuch" in stderr and all(role.value in stderr for role in RoleName)
    assert not (tmp_path / "out").exists()
