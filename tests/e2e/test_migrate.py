"""`erpops migrate` end to end: counts, idempotence, dry run, delta, undo and reconciliation."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import URL

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow
MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


def migrate(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = run_erpops("migrate", *args, "--json", env=env)
    assert result.stdout, result.stderr[-3000:]
    doc: dict[str, Any] = json.loads(result.stdout)
    doc["exit_code"] = result.returncode
    return doc


def fingerprint(env: dict[str, str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(run_erpops("db", "fingerprint", "--json", env=env).stdout)
    return doc


def mini(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "mini")
    return tmp_path / "mini" / "mapping.yaml"


def test_a_load_counts_every_row_and_reconciles(migrate_env: dict[str, str], tmp_path: Path) -> None:
    run = migrate(migrate_env, "--mapping", str(mini(tmp_path)))
    assert (run["status"], run["exit_code"]) == ("passed", 0)
    lines = run["entities"]["sales_order_lines"]
    assert (lines["read"], lines["loaded"], lines["quarantined"], lines["rejected"]) == (4, 2, 1, 1)
    assert lines["reasons"] == {"duplicate_row": 1, "orphan_sku_code": 1}
    orders = run["entities"]["sales_orders"]
    assert orders["reasons"] == {"bad_ordered_at": 1, "orphan_customer_code": 1}
    for name, entity in run["entities"].items():
        assert entity["read"] == entity["loaded"] + entity["quarantined"] + entity["rejected"], name
        assert entity["reconciliation"]["ok"], (name, entity["reconciliation"])
    assert run["entities"]["skus"]["reconciliation"]["sums"]["list_price"] == {"source": 146790, "erp": 146790}
    with Path(run["quarantine_csv"]).open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["entity"], r["legacy_key"]) for r in rows if r["reason"] == "orphan_sku_code"] == [
        ("sales_order_lines", "TM1001#2")]
    assert run_erpops("db", "check", env=migrate_env).returncode == 0
    docs = Path(migrate_env["ERPOPS_STATE_DIR"]) / "migrations" / "gx-docs"
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert all(f"erpops.{entity}" in index for entity in run["entities"]), "Data Docs lack an entity"


def test_running_the_same_input_again_changes_nothing(migrate_env: dict[str, str], tmp_path: Path) -> None:
    mapping = mini(tmp_path)
    migrate(migrate_env, "--mapping", str(mapping))
    before = fingerprint(migrate_env)
    again = migrate(migrate_env, "--mapping", str(mapping))
    assert again["status"] == "passed"
    assert all(e["inserted"] == e["updated"] == 0 for e in again["entities"].values())
    assert fingerprint(migrate_env) == before


def test_a_dry_run_reports_everything_and_changes_nothing(migrate_env: dict[str, str], tmp_path: Path) -> None:
    before = fingerprint(migrate_env)
    dry = migrate(migrate_env, "--mapping", str(mini(tmp_path)), "--dry-run")
    assert (dry["status"], dry["mode"]) == ("passed", "dry_run")
    assert dry["entities"]["sales_order_lines"]["loaded"] == 2
    assert fingerprint(migrate_env) == before


def test_a_dry_run_writes_the_quarantine_csv_a_load_would(migrate_env: dict[str, str], tmp_path: Path) -> None:
    dry = migrate(migrate_env, "--mapping", str(mini(tmp_path)), "--dry-run")
    with Path(dry["quarantine_csv"]).open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["entity"], r["legacy_key"]) for r in rows if r["reason"] == "orphan_sku_code"] == [
        ("sales_order_lines", "TM1001#2")]
    assert {r["reason"] for r in rows if r["entity"] == "sales_orders"} == {"bad_ordered_at", "orphan_customer_code"}


def test_delta_loads_only_newer_or_changed_rows(migrate_env: dict[str, str], tmp_path: Path) -> None:
    mapping = mini(tmp_path)
    migrate(migrate_env, "--mapping", str(mapping))
    orders = mapping.parent / "orders.csv"
    orders.write_text(orders.read_text(encoding="utf-8") +
                      "TM1005,天猫,C1,2024-06-05 08:00:00,已完成,129.00,2024-06-05T08:00:00\n", encoding="utf-8")
    delta = migrate(migrate_env, "--mapping", str(mapping), "--delta")
    sales = delta["entities"]["sales_orders"]
    assert delta["status"] == "passed"
    # The load's watermark is the newest order it loaded (JD2002): the two quarantined orders after it
    # (PDD3003, DY4004) are read again, and set aside again.
    assert (sales["read"], sales["skipped"], sales["inserted"], sales["quarantined"]) == (5, 2, 1, 2)


def test_a_delta_counts_old_rows_once_as_skipped(migrate_env: dict[str, str], tmp_path: Path) -> None:
    mapping = mini(tmp_path)
    orders = mapping.parent / "orders.csv"
    rows = orders.read_text(encoding="utf-8").splitlines()
    # The load sets aside PDD3003 (unknown customer) and DY4004 (bad date), both older than the orders it
    # loads, and rejects an exact duplicate of JD2002.
    rows[3] = rows[3].replace("2024-06-03T12:00:00", "2024-06-01T08:00:00")
    rows[4] = rows[4].replace("2024-06-04T09:00:00", "2024-06-01T09:00:00")
    orders.write_text("\n".join([*rows, rows[2]]) + "\n", encoding="utf-8")
    load = migrate(migrate_env, "--mapping", str(mapping))["entities"]["sales_orders"]
    assert (load["read"], load["loaded"], load["quarantined"], load["rejected"]) == (5, 2, 2, 1)
    with orders.open("a", encoding="utf-8") as handle:
        handle.write("TM1005,天猫,C1,2024-06-05 08:00:00,已完成,129.00,2024-06-05T08:00:00\n")
    delta = migrate(migrate_env, "--mapping", str(mapping), "--delta")
    sales = delta["entities"]["sales_orders"]
    assert delta["status"] == "passed"
    assert (sales["read"], sales["skipped"], sales["inserted"], sales["quarantined"], sales["rejected"]) == (
        6, 5, 1, 0, 0)
    assert sales["reasons"] == {} and sales["reconciliation"]["ok"]


def test_a_delta_after_undoing_a_delta_loads_its_rows_again(migrate_env: dict[str, str], tmp_path: Path) -> None:
    mapping = mini(tmp_path)
    assert migrate(migrate_env, "--mapping", str(mapping))["status"] == "passed"
    loaded = fingerprint(migrate_env)
    with (mapping.parent / "orders.csv").open("a", encoding="utf-8") as handle:
        handle.write("TM1005,天猫,C1,2024-06-05 08:00:00,已完成,129.00,2024-06-05T08:00:00\n")
    with (mapping.parent / "lines.csv").open("a", encoding="utf-8") as handle:
        handle.write("TM1005,1,S1,1,129.00\n")
    first = migrate(migrate_env, "--mapping", str(mapping), "--delta")
    assert first["entities"]["sales_orders"]["inserted"] == 1
    with_delta = fingerprint(migrate_env)
    nothing_new = migrate(migrate_env, "--mapping", str(mapping), "--delta")
    assert nothing_new["status"] == "passed" and nothing_new["entities"]["sales_orders"]["loaded"] == 0

    assert migrate(migrate_env, "--undo", first["run_id"])["status"] == "undone"
    assert fingerprint(migrate_env) == loaded
    again = migrate(migrate_env, "--mapping", str(mapping), "--delta")

    assert again["status"] == "passed", again["entities"]
    assert again["entities"]["sales_orders"]["inserted"] == 1
    assert again["entities"]["sales_order_lines"]["inserted"] == 1
    assert "orphan_order_key" not in again["entities"]["sales_order_lines"]["reasons"]
    assert fingerprint(migrate_env) == with_delta


def test_undo_reverts_exactly_one_run(migrate_env: dict[str, str], tmp_path: Path) -> None:
    empty = fingerprint(migrate_env)
    mapping = mini(tmp_path)
    first = migrate(migrate_env, "--mapping", str(mapping))
    loaded = fingerprint(migrate_env)
    skus = mapping.parent / "skus.csv"
    skus.write_text(skus.read_text(encoding="utf-8").replace("129.00", "139.00"), encoding="utf-8")
    second = migrate(migrate_env, "--mapping", str(mapping))
    assert second["entities"]["skus"]["updated"] == 1
    refused = run_erpops("migrate", "--undo", first["run_id"], env=migrate_env)
    assert refused.returncode == 2 and "undo it first" in refused.stderr.strip().splitlines()[-1]
    assert migrate(migrate_env, "--undo", second["run_id"])["status"] == "undone"
    assert fingerprint(migrate_env) == loaded
    assert migrate(migrate_env, "--undo", first["run_id"])["status"] == "undone"
    assert fingerprint(migrate_env) == empty
    assert run_erpops("db", "check", env=migrate_env).returncode == 0


def test_orphans_over_the_limit_block_the_run_before_anything_loads(migrate_env: dict[str, str],
                                                                    tmp_path: Path) -> None:
    mapping = mini(tmp_path)
    text = mapping.read_text(encoding="utf-8")
    # The lines' quarantined rows are orphans only: a SKU no entity stages, and a line of DY4004, an order
    # quarantined for its date. With a tolerance of 30 % the lines block, and the entities before them too.
    head, lines = text.split("  sales_order_lines:")
    lines = lines.replace("max_quarantine_rate: 0.5", "max_quarantine_rate: 0.3")
    mapping.write_text(head + "  sales_order_lines:" + lines, encoding="utf-8")
    with (mapping.parent / "lines.csv").open("a", encoding="utf-8") as handle:
        handle.write("DY4004,1,S1,1,39.90\n")
    before = fingerprint(migrate_env)
    run = migrate(migrate_env, "--mapping", str(mapping))
    assert (run["status"], run["exit_code"]) == ("blocked", 1)
    lines_result = run["entities"]["sales_order_lines"]
    assert lines_result["reasons"] == {"duplicate_row": 1, "orphan_sku_code": 1, "orphan_order_key": 1}
    assert lines_result["blocked_by"] == ["quarantine rate 0.4000 > 0.3"]
    assert all(e["loaded"] == 0 for e in run["entities"].values())
    assert fingerprint(migrate_env) == before
    api = f"http://127.0.0.1:{migrate_env['ERPOPS_PREFECT_PORT']}/api"
    flow_run = httpx.get(f"{api}/flow_runs/{run['flow_run_id']}", timeout=10).json()
    assert flow_run["state_type"] == "FAILED"  # a blocked run is not green in the runs list, and says why
    assert "blocked" in flow_run["state"]["message"]
    assert "sales_order_lines blocked by quarantine rate 0.4000 > 0.3" in flow_run["state"]["message"]


def test_an_unknown_category_parent_is_an_orphan_and_a_later_parent_is_linked(migrate_env: dict[str, str],
                                                                              tmp_path: Path) -> None:
    mapping = mini(tmp_path)
    categories = mapping.parent / "categories.csv"
    # batch 2: an unknown parent, and a child of that orphan; batch 3 and 4: a parent that comes later.
    categories.write_text(categories.read_text(encoding="utf-8") + "TOYS,玩具,NOPE\nKIDS,童玩,TOYS\n"
                          "MUGS,马克杯,BOWLS\nPLATES,盘子,HOME\nBOWLS,碗,HOME\n", encoding="utf-8")
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text.replace("      parent_code: {from: parent}\n",
                                    "      parent_code: {from: parent}\n    gate: {max_quarantine_rate: 0.5}\n"),
                       encoding="utf-8")
    run = migrate(migrate_env, "--mapping", str(mapping))
    assert run["status"] == "passed", run["entities"]["categories"]
    assert run["entities"]["categories"]["reasons"] == {"orphan_parent_code": 2}
    with psycopg.connect(migrate_env["ERPOPS_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")) as conn:
        parents = dict(conn.execute("SELECT c.code, p.code FROM categories c LEFT JOIN categories p "
                                    "ON p.id = c.parent_id").fetchall())
    assert parents == {"HOME": None, "CUPS": "HOME", "MUGS": "BOWLS", "PLATES": "HOME", "BOWLS": "HOME"}


def test_delta_compares_watermarks_as_dates_not_as_text(migrate_env: dict[str, str], tmp_path: Path) -> None:
    mapping = mini(tmp_path)
    mapping.write_text(mapping.read_text(encoding="utf-8").replace(
        "watermark: updated_at", 'watermark: {from: updated_at, transforms: [{date: {formats: ["%d/%m/%Y %H:%M"]}}]}'),
        encoding="utf-8")
    orders = mapping.parent / "orders.csv"
    # Day first: as text '10/05/2024' (10 May) sorts after '05/06/2024' (5 June), as dates it is before.
    dated = ["01/06/2024 10:00", "02/06/2024 11:30", "10/05/2024 12:00", "04/06/2024 09:00"]
    rows = orders.read_text(encoding="utf-8").splitlines()
    orders.write_text("\n".join([rows[0], *(r.rsplit(",", 1)[0] + "," + d for r, d in zip(rows[1:], dated,
                                                                                           strict=True))]) + "\n",
                      encoding="utf-8")
    assert migrate(migrate_env, "--mapping", str(mapping))["status"] == "passed"
    with orders.open("a", encoding="utf-8") as handle:
        handle.write("TM1005,天猫,C1,2024-06-05 08:00:00,已完成,129.00,05/06/2024 08:00\n")
    delta = migrate(migrate_env, "--mapping", str(mapping), "--delta")
    sales = delta["entities"]["sales_orders"]
    assert delta["status"] == "passed"
    # Skipped: TM1001, JD2002 (the newest the load loaded) and PDD3003 of 10 May; DY4004 is read again.
    assert (sales["read"], sales["skipped"], sales["inserted"]) == (5, 3, 1)


def test_batches_loaded_in_parallel_leave_what_one_at_a_time_leaves(migrate_env: dict[str, str],
                                                                    new_database: Callable[[], URL],
                                                                    tmp_path: Path) -> None:
    # batch_size 2: every entity of the mini shop loads in several batches; ids are in the fingerprints.
    mapping = mini(tmp_path)
    serial = migrate_env | {"ERPOPS_MIGRATION_LOAD_WORKERS": "1"}
    parallel = migrate_env | {"ERPOPS_MIGRATION_LOAD_WORKERS": "4",
                              "ERPOPS_DATABASE_URL": new_database().render_as_string(hide_password=False)}
    assert run_erpops("db", "upgrade", env=parallel).returncode == 0
    assert migrate(serial, "--mapping", str(mapping))["status"] == "passed"
    assert migrate(parallel, "--mapping", str(mapping))["status"] == "passed"
    assert fingerprint(parallel) == fingerprint(serial)
    assert ids_by_legacy_key(parallel) == ids_by_legacy_key(serial)  # the fingerprint leaves surrogate ids out


def ids_by_legacy_key(env: dict[str, str]) -> list[tuple[str, str, int]]:
    with psycopg.connect(env["ERPOPS_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")) as conn:
        rows = conn.execute("SELECT entity, legacy_key, target_id FROM legacy_key_map ORDER BY 1, 2").fetchall()
    assert len(rows) > 10
    return [(str(e), str(k), int(i)) for e, k, i in rows]


def test_two_legacy_records_of_one_erp_record_load_the_first_and_quarantine_the_other(migrate_env: dict[str, str],
                                                                                     tmp_path: Path) -> None:
    mapping = mini(tmp_path)
    mapping.write_text(mapping.read_text(encoding="utf-8").replace('legacy_key: "{id}"', 'legacy_key: "{id}/{mobile}"'),
                       encoding="utf-8")
    with (mapping.parent / "customers.csv").open("a", encoding="utf-8") as handle:  # C1 again, in a later batch
        handle.write("C1,张伟,13700137000,浙江省,杭州市,西湖区\n")

    run = migrate(migrate_env, "--mapping", str(mapping))

    customers = run["entities"]["customers"]
    assert run["status"] == "passed", run
    assert customers["reasons"]["duplicate_natural_key"] == 1
    assert customers["read"] == customers["loaded"] + customers["quarantined"] + customers["rejected"]
    with psycopg.connect(migrate_env["ERPOPS_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")) as conn:
        assert conn.execute("SELECT phone FROM customers WHERE code = 'C1'").fetchall() == [("13800138000",)]


def test_runs_and_their_tasks_are_named_and_tagged_for_the_runs_list(migrate_env: dict[str, str],
                                                                    tmp_path: Path) -> None:
    dry = migrate(migrate_env, "--mapping", str(mini(tmp_path)), "--dry-run")
    load = migrate(migrate_env, "--mapping", str(tmp_path / "mini" / "mapping.yaml"))
    api = f"http://127.0.0.1:{migrate_env['ERPOPS_PREFECT_PORT']}/api"
    for doc, mode in ((dry, "dry-run"), (load, "load")):
        run = httpx.get(f"{api}/flow_runs/{doc['flow_run_id']}", timeout=10).json()
        assert run["name"] == f"migration/mini-shop/{mode}" and run["state_type"] == "COMPLETED"  # both passed
        assert set(run["tags"]) == {"phase:migrate", "mapping:mini-shop", f"mode:{mode}"}
    tasks = httpx.post(f"{api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [load["flow_run_id"]]}}},
                       timeout=10).json()
    names = {t["name"] for t in tasks}
    staged = {e for n in names if n.startswith("stage_entity[") for e in n[len("stage_entity["):-1].split("+")}
    assert staged == set(load["entities"])  # entities that read one file share one task
    assert {f"load_entity[{e}]" for e in load["entities"]} <= names
