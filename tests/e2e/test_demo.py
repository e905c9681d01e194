"""`erpops demo` as a new user runs it: the flow run and its artifacts land on the Prefect server."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow


def test_the_demo_leaves_its_flow_run_and_artifacts_on_the_prefect_server(stack_env: dict[str, str]) -> None:
    result = run_erpops("demo", "--json", env=stack_env)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    api = summary["prefect_api"]
    run_id = summary["flow_runs"]["environment-readiness"]

    flow_run = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()
    assert flow_run["state_type"] == "COMPLETED"
    artifacts = httpx.post(
        f"{api}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}, timeout=10
    ).json()
    by_key = {a["key"]: a for a in artifacts}
    assert {"environment-readiness", "schema-fingerprint"} <= set(by_key)
    assert "| database | ✅ pass" in by_key["environment-readiness"]["data"]
    tables = {row["table"] for row in json.loads(by_key["schema-fingerprint"]["data"])}
    assert {"sales_orders", "stock_levels", "stock_ledger"} <= tables


def test_running_the_demo_twice_reuses_the_running_stack(stack_env: dict[str, str]) -> None:
    first = run_erpops("demo", "--json", env=stack_env)
    second = run_erpops("demo", "--json", env=stack_env)
    assert first.returncode == second.returncode == 0, second.stderr[-2000:]
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one["prefect_api"] == two["prefect_api"]
    assert one["fingerprint"] == two["fingerprint"]
    assert one["flow_runs"] != two["flow_runs"]
    status = json.loads(run_erpops("status", "--json", env=stack_env).stdout)
    assert status["prefect_server"] is True
    stopped = run_erpops("stop", env=stack_env)
    assert "stopped Prefect server" in stopped.stdout
    assert json.loads(run_erpops("status", "--json", env=stack_env).stdout)["prefect_server"] is False
