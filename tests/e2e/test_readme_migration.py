"""README, literally: `erpops demo`, then the commands of "Migrating legacy data" on the same database."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow
README = Path(__file__).resolve().parents[2] / "README.md"
RUN_TITLE = re.compile(r"migration run ([0-9a-f-]{36}) \((\w+)\): (\w+)")


def readme_commands(section: str, block_no: int = 0) -> list[list[str]]:
    """The erpops command lines of the section's shell block `block_no`, comments removed; paths of the
    checkout's examples (README's commands run in the checkout) made absolute."""
    text = README.read_text(encoding="utf-8").split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    block = text.split("```bash\n")[1 + block_no].split("```", 1)[0]
    commands = [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    assert all(c[0] == ".venv/bin/erpops" for c in commands), commands
    checkout = README.parent
    return [[str(checkout / a) if a.startswith("examples/") else a for a in c[1:]] for c in commands]


def fingerprint(env: dict[str, str]) -> dict[str, Any]:
    result = run_erpops("db", "fingerprint", "--json", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = run_erpops(*args, env=env, timeout=1200)
    assert result.returncode == 0, f"erpops {' '.join(args)} exited {result.returncode}: {result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr
    return result


def test_the_readme_migration_sequence_runs_after_the_demo(stack_env: dict[str, str]) -> None:
    run(["demo"], stack_env)
    sample, dry_run, load, again, listing, undo = readme_commands("Migrating legacy data")
    assert sample[0] == "sample-data" and "--dry-run" in dry_run and undo == ["migrate", "--undo", "<run_id>"]

    run(sample, stack_env)
    dry = RUN_TITLE.search(run(dry_run, stack_env).stdout)
    assert dry is not None and dry.groups()[1:] == ("dry_run", "passed")
    before = fingerprint(stack_env)
    loaded = RUN_TITLE.search(run(load, stack_env).stdout)
    assert loaded is not None and loaded.groups()[1:] == ("load", "passed")
    after_load = fingerprint(stack_env)
    assert after_load != before
    rerun = RUN_TITLE.search(run(again, stack_env).stdout)
    assert rerun is not None and rerun.group(3) == "passed"
    assert fingerprint(stack_env) == after_load  # "again: changes nothing"

    listed = run(listing, stack_env).stdout
    assert loaded.group(1) in listed and rerun.group(1) in listed  # the ids to undo are where README says
    run([loaded.group(1) if a == "<run_id>" else a for a in undo], stack_env)  # "the real load"

    # Exactly as before the load: every table, the stock ledger included; stock levels hold Σ ledger again
    # (db check below), only their optimistic-lock versions moved on.
    undone, expected = fingerprint(stack_env)["tables"], before["tables"]
    assert {t for t in expected if undone[t] != expected[t]} <= {"stock_levels"}
    assert undone["stock_levels"]["rows"] == expected["stock_levels"]["rows"]
    check = run(["db", "check", "--json"], stack_env)
    assert json.loads(check.stdout)["violations"] == []

    # README's next block, on the same database: the relational marketplace export.
    (marketplace,) = readme_commands("Migrating legacy data", 1)
    relational = RUN_TITLE.search(run(marketplace, stack_env).stdout)
    assert relational is not None and relational.groups()[1:] == ("load", "passed")
    check = run(["db", "check", "--json"], stack_env)
    assert json.loads(check.stdout)["violations"] == []

    # README's next sections, on the same database: planning, whose test suites and smoke load M6 reads.
    for args in readme_commands("Planning the project"):
        if args[:2] == ["plan", "gates"]:  # pauses for a sign-off in the UI: `plan status` judges the same way
            args = ["plan", "status"]
        run(args, stack_env)
    milestones = {m["code"]: m for m in json.loads(run(["plan", "status", "--json"], stack_env).stdout)["milestones"]}
    assert milestones["M6"]["status"] == "passed", milestones["M6"]
    assert milestones["M1"]["status"] == "approved"
