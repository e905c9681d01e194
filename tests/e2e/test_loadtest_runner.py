"""`python -m loadtests.run` as the load-test flow runs it: the realistic mix against a live ERP API, locally
and as a Locust master with two worker processes, and the files QA and the flow read afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from erp_models.security.services import issue_token
from loadtests.config import RunConfig, UserKind
from loadtests.seed import seed_fixture
from tests.e2e.api_server import running_api
from tests.e2e.cli import run_erpops
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ROLES = {UserKind.CONNECTOR: "channel_integration", UserKind.SHOPPER: "viewer", UserKind.WAREHOUSE: "warehouse",
         UserKind.PURCHASER: "purchaser", UserKind.MANAGER: "pm"}
MIX = {"place_order", "replay_order", "stock_lookup", "orders_to_ship", "ship_order", "receive_goods", "create_po",
       "approve_po", "list_orders", "list_stock", "list_pos"}


def role_tokens(database_url: str) -> dict[str, str]:
    """One token per role the mix uses, plus an admin's for making the fixture."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        tokens = {role: issue_token(session, username=f"lt-{role}", role=role, actor="tests").token
                  for role in [*ROLES.values(), "admin"]}
        session.commit()
    engine.dispose()
    return tokens


def run_load(tmp_path: Path, config: RunConfig) -> tuple[dict[str, Any], list[dict[str, Any]], Path]:
    tmp_path.mkdir()
    config_path, out = tmp_path / "config.json", tmp_path / "out"
    config_path.write_text(config.model_dump_json(), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "loadtests.run", "--config", str(config_path), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    orders = [json.loads(line) for line in (out / "orders.jsonl").read_text(encoding="utf-8").splitlines()]
    return result, orders, out


def assert_consistent(result: dict[str, Any], orders: list[dict[str, Any]], out: Path) -> None:
    endpoints = result["endpoints"]
    assert MIX <= set(endpoints), f"missing {MIX - set(endpoints)}"
    per_second: Counter[str] = Counter()
    for second in result["seconds"]:
        for name, data in second["endpoints"].items():
            per_second[name] += data["requests"]
            assert sum(data["histogram"].values()) == data["requests"]
    for name, data in endpoints.items():
        assert sum(data["histogram"].values()) == data["requests"], name
        assert per_second[name] == data["requests"], name
        assert data["failures"] == 0, (name, result["errors"])
    placed = [o for o in orders if not o["replay"]]
    replays = [o for o in orders if o["replay"]]
    assert len(placed) == endpoints["place_order"]["requests"]
    assert len(replays) == endpoints["replay_order"]["requests"] > 0
    first_answer = {o["external_id"]: o["order_id"] for o in placed if o["status"] == 201}
    assert all(o["status"] == 200 and o["order_id"] == first_answer[o["external_id"]] for o in replays)
    assert len(set(first_answer.values())) == len(first_answer)  # one order per external id
    assert (out / "report.html").read_text(encoding="utf-8").count("place_order") > 0
    assert (out / "stats_stats.csv").exists() and result["aborted"] is None


def test_the_mix_runs_against_the_api_and_every_request_is_in_the_result(db_env: dict[str, str],
                                                                          tmp_path: Path) -> None:
    assert run_erpops("db", "upgrade", env=db_env).returncode == 0
    tokens = role_tokens(db_env["ERPOPS_DATABASE_URL"])
    with running_api(db_env, free_port()) as base:
        fixture = seed_fixture(base, tokens["admin"], skus=5, stock=10_000,
                               tokens={kind: tokens[role] for kind, role in ROLES.items()})
        config = RunConfig(host=base, profile="smoke", users=5, spawn_rate=5, duration_s=6, fixture=fixture)
        local, local_orders, local_out = run_load(tmp_path / "local", config)
        two, two_orders, two_out = run_load(tmp_path / "workers", config.model_copy(update={"workers": 2,
                                                                                            "duration_s": 5}))
        impossible = {"expr": "place_order: p(95) < 0.001", "abort_on_fail": True, "grace_s": 1}
        aborted, _, _ = run_load(tmp_path / "aborted", config.model_copy(update={"thresholds": [impossible],
                                                                                 "duration_s": 60}))
    assert_consistent(local, local_orders, local_out)
    assert local["workers"] == 1 and local["steps"] == [{"index": 0, "users": 5, "start_s": 0.0, "end_s": 6.0}]
    assert_consistent(two, two_orders, two_out)
    assert two["workers"] == 2 and (two_out / "worker-1.log").exists()
    assert aborted["aborted"]["reason"].startswith("place_order: p(95) < 0.001 failed after")
    assert 1 <= aborted["aborted"]["at_s"] < 10 and aborted["duration_s"] < 10


def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"host": "http://127.0.0.1:9", "users": 0, "spawn_rate": 1, "duration_s": 1}))
    done = subprocess.run([sys.executable, "-m", "loadtests.run", "--config", str(path), "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"loadtests.run: {path}: users: Input should be greater than or equal to 1"]
