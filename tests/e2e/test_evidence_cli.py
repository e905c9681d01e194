"""`erpops evidence list` after real migration runs: which run wrote each value, when, and what gates read."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.e2e.cli import run_erpops
from tests.e2e.test_migrate import migrate, mini

pytestmark = pytest.mark.slow


def listed(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = run_erpops("evidence", "list", "--prefix", "migration.", "--json", *args, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def run_passed(doc: dict[str, Any]) -> list[tuple[str, float, str | None]]:
    return [(e["state"], e["value"], e["run_id"]) for e in doc["evidence"] if e["key"] == "migration.run.passed"]


def test_the_list_names_the_run_and_time_of_each_value_and_an_undo_withdraws_them(migrate_env: dict[str, str],
                                                                                 tmp_path: Any) -> None:
    mapping = mini(tmp_path)
    good = migrate(migrate_env, "--mapping", str(mapping))
    assert good["status"] == "passed"
    text = mapping.read_text(encoding="utf-8").replace("max_quarantine_rate: 0.5", "max_quarantine_rate: 0.01")
    mapping.write_text(text, encoding="utf-8")
    blocked = migrate(migrate_env, "--mapping", str(mapping))
    assert blocked["status"] == "blocked"

    doc = listed(migrate_env)
    # The blocked run loaded nothing: shown, but the gates still read the passed run, every key of it.
    assert run_passed(doc) == [("not counting", 0.0, blocked["run_id"]), ("judged", 1.0, good["run_id"])]
    judged = [e for e in doc["evidence"] if e["state"] == "judged"]
    assert {e["run_id"] for e in judged} == {good["run_id"]}
    assert doc["judged"]["migration.run.passed"] == 1.0
    assert all(e["recorded_at"] and e["source"].startswith(f"migration run {good['run_id']}") for e in judged)

    table = run_erpops("evidence", "list", "--prefix", "migration.run.", env=migrate_env)
    assert table.returncode == 0, table.stderr
    [header, newest, older] = table.stdout.splitlines()
    assert header.split()[:4] == ["KEY", "VALUE", "STATE", "RECORDED"]
    assert blocked["run_id"] in newest and "not counting" in newest
    assert good["run_id"] in older and "judged" in older
    assert re.search(r"\b20\d\d-\d\d-\d\d \d\d:\d\d:\d\d\b", older)

    assert migrate(migrate_env, "--undo", good["run_id"])["status"] == "undone"

    doc = listed(migrate_env)
    assert doc["judged"] == {}  # nothing left that counts
    [undone] = [e for e in doc["evidence"] if e["key"] == "migration.run.passed" and e["run_id"] == good["run_id"]]
    assert (undone["state"], undone["withdrawn"]) == ("withdrawn", True)
    assert undone["withdrawn_at"] and undone["withdrawn_by"]
    assert undone["withdrawn_reason"] == f"migration run {good['run_id']} was undone"
    table = run_erpops("evidence", "list", "--prefix", "migration.run.", env=migrate_env).stdout
    assert f"by {undone['withdrawn_by']}: migration run {good['run_id']} was undone" in table
