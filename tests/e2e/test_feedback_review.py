"""A critical item left open past its 4 h SLA fails `erpops ops feedback-review`: the run records the breach as
evidence, opens the `feedback.sla` incident and publishes its artifacts; resolving the item by a release clears both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"


def _dsn(env: dict[str, str]) -> str:
    return make_url(env["ERPOPS_DATABASE_URL"]).set(drivername="postgresql").render_as_string(hide_password=False)


def _review(env: dict[str, str], expected_exit: int) -> dict[str, Any]:
    done = run_erpops("ops", "feedback-review", "--plan", str(EXAMPLE), "--json", env=env)
    assert done.returncode == expected_exit, done.stderr
    return dict(json.loads(done.stdout))


def _artifact_keys(env: dict[str, str], run_id: str) -> set[str]:
    found = httpx.post(f"http://127.0.0.1:{env['ERPOPS_PREFECT_PORT']}/api/artifacts/filter",
                       json={"artifacts": {"flow_run_id": {"any_": [run_id]}}})
    found.raise_for_status()
    return {a["key"] for a in found.json()}


def _sla_incidents(env: dict[str, str]) -> list[dict[str, Any]]:
    listed = run_erpops("ops", "incidents", "list", "--all", "--json", env=env)
    return [i for i in json.loads(listed.stdout)["incidents"] if i["check"] == "feedback.sla"]


def test_an_item_past_its_sla_fails_the_review_until_a_change_resolves_it(migrate_env: dict[str, str]) -> None:
    env = migrate_env
    assert run_erpops("plan", "load", str(EXAMPLE), env=env).returncode == 0
    submitted = run_erpops("feedback", "submit", "--module", "sales", "--severity", "critical", "--title",
                           "订单重复 Orders duplicated", "--by", "张伟", "--role", "sales", "--milestone", "M8",
                           "--json", env=env)
    assert submitted.returncode == 0, submitted.stderr
    late = json.loads(submitted.stdout)["id"]
    with psycopg.connect(_dsn(env), autocommit=True) as conn:
        conn.execute("UPDATE feedback SET created_at = now() - interval '6 hours' WHERE id = %s", (late,))
    triaged = run_erpops("feedback", "triage", str(late), "--severity", "critical", "--owner", "李娜", "--by", "王芳",
                         env=env)
    assert triaged.returncode == 0, triaged.stderr

    failed = _review(env, expected_exit=1)
    assert (failed["status"], failed["breaches"]) == ("failed", [late])
    assert failed["reason"].startswith(f"1 feedback item past SLA: #{late} critical 2.0 h over (owner 李娜)")
    assert failed["evidence"]["feedback.sla_breaches"] == 1.0 and failed["evidence"]["feedback.open_critical"] == 1.0
    assert {"ops-feedback-backlog", "ops-feedback-sla", "ops-feedback-trend"} <= _artifact_keys(env, failed["run_id"])
    [incident] = _sla_incidents(env)
    assert (incident["status"], incident["severity"], incident["run_id"]) == ("open", "critical", failed["run_id"])

    refused = run_erpops("feedback", "set-status", str(late), "resolved", "--by", "李娜", env=env)
    assert refused.returncode != 0 and "resolving feedback needs the change" in refused.stderr
    resolved = run_erpops("feedback", "set-status", str(late), "resolved", "--change", "v1.0.1", "--by", "李娜",
                          env=env)
    assert resolved.returncode == 0, resolved.stderr

    passed = _review(env, expected_exit=0)
    assert (passed["status"], passed["breaches"], passed["evidence"]["feedback.sla_breaches"]) == ("passed", [], 0.0)
    assert [i["status"] for i in _sla_incidents(env)] == ["resolved"]
    judged = json.loads(run_erpops("evidence", "list", "--prefix", "feedback.", "--json", env=env).stdout)["judged"]
    assert (judged["feedback.sla_breaches"], judged["feedback.open_major"]) == (0.0, 0.0)
