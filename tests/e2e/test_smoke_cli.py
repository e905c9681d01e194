"""`erpops smoke` as an operator runs it: every step through a freshly started API, and nothing left behind."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.cli import run_erpops

STEPS = ["stock_before", "place", "replay", "pay", "ship", "place_second", "cancel", "stock_after"]


@pytest.fixture
def erp_env(db_env: dict[str, str]) -> dict[str, str]:
    upgraded = run_erpops("db", "upgrade", env=db_env)
    assert upgraded.returncode == 0, upgraded.stderr
    return db_env


def _smoke_sku_sellable(env: dict[str, str], tag: str) -> bool:
    engine = create_engine(env["ERPOPS_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT bool_or(active) FROM skus WHERE code LIKE :p"),
                                     {"p": f"{tag}-%"}).scalar_one())
    finally:
        engine.dispose()


def test_smoke_passes_every_step_and_leaves_the_database_clean(erp_env: dict[str, str]) -> None:
    ran = run_erpops("smoke", "--json", env=erp_env, timeout=180)

    assert ran.returncode == 0, ran.stderr
    run = json.loads(ran.stdout)
    assert run["report"]["ok"] is True and run["report"]["failed_step"] is None
    assert [(s["name"], s["ok"]) for s in run["report"]["steps"]] == [(name, True) for name in STEPS]
    assert run["api_started"] is True and run["exempted"] is None  # not frozen: nobody exempted
    assert run["cleanup"]["stock_written_off"] == 8  # 10 stocked, 2 shipped
    assert not _smoke_sku_sellable(erp_env, run["report"]["tag"])
    checked = run_erpops("db", "check", "--json", env=erp_env)
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["violations"] == []


def test_a_smoke_sku_without_stock_fails_at_placing_and_exits_1(erp_env: dict[str, str]) -> None:
    ran = run_erpops("smoke", "--json", "--stock", "0", env=erp_env, timeout=180)

    assert ran.returncode == 1
    report = json.loads(ran.stdout)["report"]
    assert report["ok"] is False and report["failed_step"] == "place"
    assert report["steps"][-1]["status_code"] == 409
    assert "smoke test failed at step place" in ran.stderr
    assert json.loads(run_erpops("db", "check", "--json", env=erp_env).stdout)["violations"] == []


def test_smoke_passes_while_frozen_and_the_freeze_stays_on_with_no_exemption(erp_env: dict[str, str]) -> None:
    frozen = run_erpops("freeze", "--reason", "go-live", "--json", env=erp_env)
    assert frozen.returncode == 0, frozen.stderr

    ran = run_erpops("smoke", "--json", env=erp_env, timeout=180)

    assert ran.returncode == 0, ran.stdout + ran.stderr
    run = json.loads(ran.stdout)
    assert [(s["name"], s["ok"]) for s in run["report"]["steps"]] == [(name, True) for name in STEPS]
    assert run["exempted"] == run["report"]["tag"].lower() + "-"
    status = json.loads(run_erpops("freeze", "--status", "--json", env=erp_env).stdout)
    assert (status["frozen"], status["reason"], status["exempt_prefix"]) == (True, "go-live", None)
    assert not _smoke_sku_sellable(erp_env, run["report"]["tag"])
