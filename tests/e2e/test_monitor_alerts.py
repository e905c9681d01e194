"""An injected invariant violation and a stale outbox event fail the monitor: the violation events reach Prefect
and the automations fire (a webhook POST per violation to a loopback receiver; after three failed runs, a run of the
ops-risk deployment, which a process worker runs and which raises the risk)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tasks.ops.monitor_report import MonitorStatus
from tests.e2e.cli import ERPOPS, run_erpops
from tests.integration.builders import a_sku, a_warehouse, stock_of

pytestmark = pytest.mark.slow

EXAMPLE_PLAN = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"
POOL = "erpops"


class Receiver(ThreadingHTTPServer):
    posts: list[dict[str, Any]]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        assert isinstance(self.server, Receiver)
        self.server.posts.append(json.loads(body or b"{}"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), _Handler)
    server.posts = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _prefect(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The `prefect` command of erpops' environment, against the stack's server."""
    return subprocess.run([str(Path(ERPOPS).with_name("prefect")), *args], capture_output=True, text=True,
                          env=env | {"PREFECT_API_URL": _api(env)}, timeout=timeout, stdin=subprocess.DEVNULL)


def inject_an_invariant_violation(env: dict[str, str]) -> None:
    """A stock level whose on-hand the ledger does not explain (10 posted, 12 on hand): a `db check` violation."""
    engine = create_engine(env["ERPOPS_DATABASE_URL"])
    try:
        with Session(engine) as session:
            level = stock_of(session, a_sku(session), a_warehouse(session), on_hand=10)
            level.on_hand = 12
            session.commit()
    finally:
        engine.dispose()


def _dsn(env: dict[str, str]) -> str:
    return make_url(env["ERPOPS_DATABASE_URL"]).set(drivername="postgresql").render_as_string(hide_password=False)


def _api(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['ERPOPS_PREFECT_PORT']}/api"


def _events(env: dict[str, str], name: str) -> list[dict[str, Any]]:
    found = httpx.post(f"{_api(env)}/events/filter", json={"filter": {"event": {"name": [name]}}, "limit": 50})
    found.raise_for_status()
    return list(found.json()["events"])


def _wait(what: str, probe: Any, timeout_s: float = 90) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def _delete_automations(env: dict[str, str]) -> None:
    for automation in httpx.post(f"{_api(env)}/automations/filter", json={}).json():
        if automation["name"].startswith("erpops "):
            httpx.delete(f"{_api(env)}/automations/{automation['id']}")


def test_an_invariant_violation_and_a_stale_outbox_event_fail_the_monitor_and_the_automations_fire(
        migrate_env: dict[str, str], receiver: Receiver) -> None:
    env = migrate_env
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/alerts"
    assert run_erpops("plan", "load", str(EXAMPLE_PLAN), env=env).returncode == 0  # the risk register
    pool = _prefect(env, "work-pool", "create", POOL, "--type", "process", "--overwrite")
    assert pool.returncode == 0, pool.stderr  # the ops-risk deployment goes on it, so a worker can run it
    applied = run_erpops("ops", "automations", "apply", "--webhook-url", hook, "--json", env=env)
    assert applied.returncode == 0, applied.stderr
    statuses = {a["name"]: a["status"] for a in json.loads(applied.stdout)["automations"]}
    assert set(statuses.values()) <= {"created", "updated"} and len(statuses) == 3
    again = run_erpops("ops", "automations", "apply", "--webhook-url", hook, "--json", env=env)
    assert {a["status"] for a in json.loads(again.stdout)["automations"]} == {"updated"}  # by name, not twice
    try:
        inject_an_invariant_violation(env)
        with psycopg.connect(_dsn(env), autocommit=True) as conn:
            conn.execute("INSERT INTO outbox_consumers (name) VALUES ('channel-stock-sync')")
            conn.execute("""INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, payload, occurred_at)
                            VALUES ('StockChanged', 'sku', 1, '{}', now() - interval '1 hour')""")

        runs = [run_erpops("ops", "monitor", "--skip-api", "--json", env=env) for _ in range(3)]
        assert [r.returncode for r in runs] == [1, 1, 1], runs[0].stderr
        outcome = json.loads(runs[0].stdout)
        assert outcome["status"] == MonitorStatus.FAILED
        assert outcome["violations"] == ["invariants.violations", "outbox.lag_min"]
        assert "outbox.lag_min" in outcome["reason"] and "invariants.violations" in outcome["reason"]
        assert sorted(outcome["open_incidents"]) == ["invariants.violations", "outbox.lag_min"]
        invariant = _wait("the invariant's violation event and POST", lambda: [
            p for p in receiver.posts if p.get("check") == "invariants.violations"])
        assert invariant[0]["alert"] == "erpops.monitor.violation" and float(invariant[0]["value"]) >= 1

        violations = _wait("the violation events", lambda: [
            e for e in _events(env, "erpops.monitor.violation") if e["payload"]["check"] == "outbox.lag_min"])
        database = make_url(env["ERPOPS_DATABASE_URL"]).database
        assert {e["resource"]["prefect.resource.id"] for e in violations} == {f"erpops.erp.{database}"}
        assert violations[0]["payload"]["value"] >= 59

        posts = _wait("the alert webhook's POST", lambda: [p for p in receiver.posts
                                                             if p.get("check") == "outbox.lag_min"])
        assert posts[0]["alert"] == "erpops.monitor.violation" and posts[0]["limit"] == "outbox.lag_min < 15"
        fired = _wait("the risk automation's action", lambda: [
            e for e in _events(env, "prefect.automation.action.executed")
            if e["resource"].get("prefect.resource.name") == "erpops monitor failing"])
        assert fired
        risk_runs = httpx.post(f"{_api(env)}/flow_runs/filter",
                               json={"flows": {"name": {"any_": ["ops-risk"]}}}).json()
        assert risk_runs, "the automation created no run of the ops-risk deployment"

        # A process worker polling the pool runs it once; the flow finds 3 failures in a row and raises the risk.
        worker = _prefect(env, "worker", "start", "--pool", POOL, "--run-once", timeout=300)
        assert worker.returncode == 0, worker.stderr[-2000:]
        ran = httpx.get(f"{_api(env)}/flow_runs/{risk_runs[0]['id']}").json()
        assert ran["state_type"] == "COMPLETED", ran["state"]
        with psycopg.connect(_dsn(env)) as conn:
            risk = conn.execute("SELECT status FROM risks WHERE code = 'OPS-MONITOR'").fetchone()
        assert risk == ("raised",)
    finally:
        _delete_automations(env)
