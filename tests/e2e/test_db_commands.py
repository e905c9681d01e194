"""`erpops db ...` against a real database, as scripts and engineers call it."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from alembic.config import Config
from alembic.script import ScriptDirectory

from tests.e2e.cli import run_erpops

ROOT = Path(__file__).resolve().parents[2]


def test_upgrade_then_fingerprint_and_check_a_fresh_database(db_env: dict[str, str]) -> None:
    upgraded = run_erpops("db", "upgrade", env=db_env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "was empty" in upgraded.stdout
    first = json.loads(run_erpops("db", "fingerprint", "--json", env=db_env).stdout)
    second = json.loads(run_erpops("db", "fingerprint", "--json", env=db_env).stdout)
    assert first == second
    assert first["tables"]["channels"]["rows"] == 5
    checked = run_erpops("db", "check", "--json", env=db_env)
    assert checked.returncode == 0
    assert json.loads(checked.stdout) == {"ok": True, "violations": []}


def test_check_reports_injected_violations_and_exits_non_zero(db_env: dict[str, str]) -> None:
    assert run_erpops("db", "upgrade", env=db_env).returncode == 0
    dsn = db_env["ERPOPS_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO warehouses (code, name) VALUES ('WH1', '上海仓')")
        conn.execute("INSERT INTO categories (code, name) VALUES ('C1', '家居')")
        conn.execute("INSERT INTO products (code, name, category_id) SELECT 'P1', '香薰蜡烛', id FROM categories")
        conn.execute("INSERT INTO skus (product_id, code, list_price) SELECT id, 'S1', 5900 FROM products")
        conn.execute(  # stock that no ledger entry explains
            "INSERT INTO stock_levels (sku_id, warehouse_id, on_hand) SELECT s.id, w.id, 7 FROM skus s, warehouses w"
        )
    checked = run_erpops("db", "check", "--json", env=db_env)
    assert checked.returncode == 1
    report = json.loads(checked.stdout)
    assert report["ok"] is False
    assert [v["check"] for v in report["violations"]] == ["ledger_mismatch"]
    assert report["violations"][0]["samples"][0]["on_hand"] == 7


def test_commands_that_need_the_schema_say_so_on_an_empty_database(db_env: dict[str, str]) -> None:
    result = run_erpops("db", "fingerprint", env=db_env)
    assert result.returncode != 0
    head = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_current_head()
    assert result.stderr.strip().splitlines() == [
        f"erpops: the ERP schema is at no revision (empty database), not {head}; run `erpops db upgrade`"
    ]


def test_db_url_masks_the_password(db_env: dict[str, str]) -> None:
    db_env["ERPOPS_DATABASE_URL"] = "postgresql://erp:s3cret@db.example:5432/erp"
    shown = run_erpops("db", "url", env=db_env).stdout.strip()
    assert shown == "postgresql+psycopg://erp:***@db.example:5432/erp"
