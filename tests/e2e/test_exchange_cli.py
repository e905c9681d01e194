"""`erpops ops exchange` as an IT-operations lead runs it: one pass of the exchange flow delivers a signed webhook to
a loopback receiver; a receiver that keeps failing parks the delivery, the flow run ends Failed with the reason, and
a replay delivers it once the receiver is back."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from erp_models.integration.exchange import PassStatus
from erp_models.integration.outbox import record_event
from erp_models.integration.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from tests.e2e.cli import run_erpops
from tests.integration.receiver import receiver
from tests.integration.test_outbox import current_tx, wait_until_visible_to_consumers

pytestmark = pytest.mark.slow


def publish(env: dict[str, str], order: int) -> None:
    """Commit one OrderPlaced event in the ERP, and wait until consumers may read it."""
    engine = create_engine(env["ERPOPS_DATABASE_URL"])
    try:
        with Session(engine) as session:
            record_event(session, "OrderPlaced", "sales_order", order, order_no=f"SO-{order}", 城市="杭州")
            tx_id = current_tx(session)
            session.commit()
        wait_until_visible_to_consumers(engine, tx_id, timeout_s=120)
    finally:
        engine.dispose()


def exchange(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    done = run_erpops("ops", "exchange", "--base-delay", "0.01", "--json", *args, env=env, timeout=300)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}, done.stderr


def flow_run(env: dict[str, str], run_id: str) -> dict[str, Any]:
    api = f"http://127.0.0.1:{env['ERPOPS_PREFECT_PORT']}/api"
    return dict(httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json())


def test_one_exchange_pass_delivers_then_parks_and_a_replay_recovers(migrate_env: dict[str, str]) -> None:
    env = migrate_env
    with receiver() as rx:
        added = run_erpops("webhooks", "add", "shop-bi", rx.url, "--event", "OrderPlaced", "--secret", "s3cret",
                           "--json", env=env)
        assert added.returncode == 0, added.stderr
        publish(env, 1)

        code, passed, stderr = exchange(env)
        assert code == 0, stderr
        assert passed["status"] == PassStatus.PASSED and passed["totals"]["delivered"] == 1
        [got] = rx.accepted
        assert got.document["type"] == "OrderPlaced" and got.document["data"] == {"order_no": "SO-1", "城市": "杭州"}
        assert verify_signature("s3cret", int(got.headers[TIMESTAMP_HEADER]), got.body, got.headers[SIGNATURE_HEADER])
        run = flow_run(env, passed["flow_run_id"])
        assert (run["state_type"], run["tags"]) == ("COMPLETED", ["phase:operate"])

        rx.always_fail = True
        publish(env, 2)
        code, parked, stderr = exchange(env, "--max-attempts", "1")
        assert code == 1 and parked["status"] == PassStatus.FAILED and parked["totals"]["parked"] == 1
        assert "1 deliveries parked as dead letters" in stderr
        run = flow_run(env, parked["flow_run_id"])
        assert run["state_type"] == "FAILED" and "parked as dead letters" in run["state"]["message"]

        rx.always_fail = False
        replayed = run_erpops("webhooks", "replay", "--all", "--json", env=env)
        assert replayed.returncode == 0, replayed.stderr
        assert [r.document["data"]["order_no"] for r in rx.accepted] == ["SO-1", "SO-2"]  # nothing lost
