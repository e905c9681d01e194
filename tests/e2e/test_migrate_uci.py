"""The real UCI Online Retail export through the shipped mapping: every deliberate rule visible in the counts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "examples" / "uci_online_retail" / "mapping.yaml"
# Where the mapping looks: ERPOPS_UCI_DATA (relative to the mapping's folder), else its default next to the checkout.
DATA = MAPPING.parent / os.environ.get("ERPOPS_UCI_DATA", "../../../shared/data/uci_online_retail")
ROWS = 25_281  # nine daily files, header lines excluded
EXACT_DUPLICATES = 352


@pytest.mark.skipif(not DATA.is_dir(), reason=f"the UCI files are not at {DATA.resolve()}: set ERPOPS_UCI_DATA")
def test_the_uci_export_loads_with_every_row_accounted_for(migrate_env: dict[str, str]) -> None:
    migrate_env = migrate_env | {"ERPOPS_UCI_DATA": str(DATA.resolve())}
    result = run_erpops("migrate", "--mapping", str(MAPPING), "--json", env=migrate_env, timeout=600)
    run = json.loads(result.stdout)
    assert (run["status"], result.returncode) == ("passed", 0), result.stderr[-2000:]
    entities = run["entities"]
    for name, entity in entities.items():
        assert entity["read"] == ROWS, name
        assert entity["read"] == entity["loaded"] + entity["quarantined"] + entity["rejected"], name
        assert entity["reasons"]["duplicate_row"] == EXACT_DUPLICATES, name
        assert entity["reconciliation"]["ok"], (name, entity["reconciliation"]["differences"])
    lines = entities["sales_order_lines"]
    assert lines["reasons"] == {"duplicate_row": EXACT_DUPLICATES, "rejected_non_product": 108,
                                "rejected_zero_price": 184}
    assert lines["loaded"] == ROWS - EXACT_DUPLICATES - 108 - 184
    assert entities["customers"]["reasons"]["rejected_no_customer_id"] > 9000
    assert entities["skus"]["loaded"] == entities["products"]["loaded"]
    assert entities["sales_orders"]["reconciliation"]["sums"]["total"]["source"] > 0
    assert run_erpops("db", "check", env=migrate_env).returncode == 0
    again = json.loads(run_erpops("migrate", "--mapping", str(MAPPING), "--json", env=migrate_env, timeout=600).stdout)
    assert all(e["inserted"] == e["updated"] == 0 for e in again["entities"].values())
