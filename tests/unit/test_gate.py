"""The migration gate: which rows a batch quarantines, with which reason codes, and what it only warns about."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from expectations.docs import build_data_docs
from expectations.gate import GateResult, run_gate
from expectations.suites import SUITES, default_severity, expectation_names
from tests.unit.gate_cases import FIRST_LABEL, clean_batch

ROW_2 = FIRST_LABEL + 2
ROW_3 = FIRST_LABEL + 3


@pytest.mark.parametrize("nullable_dtypes", [False, True], ids=["numpy", "nullable"])
@pytest.mark.parametrize("entity", sorted(SUITES))
def test_a_clean_batch_of_every_entity_passes_with_no_failed_rows(entity: str, nullable_dtypes: bool) -> None:
    batch = clean_batch(entity)
    result = run_gate(batch.convert_dtypes() if nullable_dtypes else batch, entity)

    assert result.rows == 6
    assert result.failed_rows == {}
    assert [o.name for o in result.outcomes if not o.success] == []
    assert [o.name for o in result.outcomes] == expectation_names(entity)


@pytest.mark.parametrize(("entity", "column", "value", "reason"), [
    ("skus", "code", None, "code_not_null"),
    ("skus", "code", "SKU 含空格", "code_format"),
    ("skus", "code", "S" * 65, "code_format"),
    ("sales_order_lines", "qty", -3, "qty_positive"),
    ("opening_stock", "qty", -1, "qty_nonnegative"),
    ("payments", "amount", 0, "amount_positive"),
    ("customers", "name", "张伟'; DROP TABLE customers; --", "no_injection_name"),
    ("customers", "address", "<script>alert('x')</script>", "no_injection_address"),
    ("suppliers", "name", "x' OR '1'='1", "no_injection_name"),
    ("sales_orders", "channel", "c" * 33, "channel_max_length"),
    ("sales_orders", "freight", -1, "freight_nonnegative"),
    ("sales_orders", "status", "shipping", "status_allowed"),
    ("payments", "method", "m" * 33, "method_max_length"),
    ("channels", "code", "mercado livre", "code_format"),
    ("channels", "code", "amazon/br", "code_format"),
    ("payment_methods", "code", "p" * 33, "code_max_length"),
    ("shipments", "carrier", None, "carrier_not_null"),
    ("purchase_order_lines", "qty_received", 101, "qty_received_within_ordered"),
    ("skus", "list_price", 2**63, "list_price_nonnegative"),
])
def test_a_bad_value_quarantines_only_its_row_with_the_reason_code(entity: str, column: str, value: object,
                                                                   reason: str) -> None:
    batch = clean_batch(entity)
    batch[column] = batch[column].astype(object)
    batch.loc[ROW_2, column] = value

    result = run_gate(batch, entity)

    assert result.failed_rows == {ROW_2: [reason]}
    assert [o.name for o in result.blocking_failures] == [reason]
    assert result.blocking_failures[0].sample_keys == [f"{entity}:2"]


def test_one_batch_with_several_faults_quarantines_exactly_those_rows() -> None:
    batch = clean_batch("sales_orders", rows=8)
    batch.loc[FIRST_LABEL + 1, "external_id"] = None
    batch.loc[ROW_2, "channel"] = "淘" * 40
    batch.loc[[ROW_3, FIRST_LABEL + 5], "legacy_key"] = "sales_orders:legacy-dup"
    batch.loc[FIRST_LABEL + 6, "total"] = -100

    result = run_gate(batch, "sales_orders")

    assert result.failed_rows == {
        FIRST_LABEL + 1: ["external_id_not_null"],
        ROW_2: ["channel_max_length"],
        ROW_3: ["legacy_key_unique"],
        FIRST_LABEL + 5: ["legacy_key_unique"],
        FIRST_LABEL + 6: ["total_nonnegative"],
    }
    counts = {o.name: o.unexpected_count for o in result.blocking_failures}
    assert counts == {"external_id_not_null": 1, "channel_max_length": 1, "legacy_key_unique": 2,
                      "total_nonnegative": 1}


def test_nullable_dtypes_from_the_transform_quarantine_the_same_rows() -> None:
    batch = clean_batch("customers")
    batch.loc[ROW_2, "name"] = "x' OR '1'='1"
    batch.loc[ROW_3, ["legacy_key", "phone"]] = [None, None]

    result = run_gate(batch.convert_dtypes(), "customers")

    assert result.failed_rows == {ROW_2: ["no_injection_name"], ROW_3: ["legacy_key_not_null"]}
    assert [(o.name, o.sample_keys) for o in result.blocking_failures] == [
        ("legacy_key_not_null", [f"<row {ROW_3}>"]), ("no_injection_name", ["customers:2"])]


def test_a_row_failing_two_checks_carries_both_reason_codes() -> None:
    batch = clean_batch("sales_order_lines")
    batch.loc[ROW_2, ["qty", "sku_code"]] = [-1, None]

    assert run_gate(batch, "sales_order_lines").failed_rows == {ROW_2: ["sku_code_not_null", "qty_positive"]}


def test_a_repeated_channel_order_quarantines_both_copies() -> None:
    batch = clean_batch("sales_orders")
    batch.loc[ROW_3, ["channel", "external_id"]] = batch.loc[ROW_2, ["channel", "external_id"]].to_list()

    result = run_gate(batch, "sales_orders")

    assert result.failed_rows == {ROW_2: ["channel_external_id_unique"], ROW_3: ["channel_external_id_unique"]}


def test_a_bad_phone_is_only_a_warning_and_the_row_is_loaded() -> None:
    batch = clean_batch("customers")
    batch.loc[ROW_2, "phone"] = "0571-8888888"

    result = run_gate(batch, "customers")

    assert result.failed_rows == {}
    assert result.blocking_failures == []
    assert [(w.name, w.unexpected_count, w.sample_keys) for w in result.warnings] == [
        ("phone_is_mobile", 1, ["customers:2"])]


def test_a_shipment_delivered_before_it_shipped_is_only_a_warning() -> None:
    batch = clean_batch("shipments")
    batch.loc[ROW_2, "delivered_at"] = batch.loc[ROW_2, "shipped_at"] - pd.Timedelta(hours=1)

    result = run_gate(batch, "shipments")

    assert result.failed_rows == {}
    assert [(w.name, w.unexpected_count) for w in result.warnings] == [("delivered_after_shipped", 1)]


def test_a_mapping_can_make_the_phone_warning_blocking() -> None:
    batch = clean_batch("suppliers")
    batch.loc[ROW_2, "phone"] = "0571-8888888"

    result = run_gate(batch, "suppliers", severity={"phone_is_mobile": "block"})

    assert result.failed_rows == {ROW_2: ["phone_is_mobile"]}
    assert result.warnings == []


def test_a_blocking_check_can_be_relaxed_to_a_warning() -> None:
    batch = clean_batch("skus")
    batch.loc[ROW_2, "code"] = "SKU 含空格"

    result = run_gate(batch, "skus", severity={"code_format": "warn"})

    assert result.failed_rows == {}
    assert [w.name for w in result.warnings] == ["code_format"]


def test_an_unknown_expectation_name_is_refused_naming_the_entity() -> None:
    batch = clean_batch("customers")
    message = r"unknown expectation 'phone_is_mobil' for customers; known: .*phone_is_mobile"

    with pytest.raises(ValueError, match=message):
        run_gate(batch, "customers", severity={"phone_is_mobil": "warn"})
    with pytest.raises(ValueError, match=message):
        run_gate(batch, "customers", enabled=["phone_is_mobil"])


def test_an_unknown_entity_or_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown entity 'sku'"):
        run_gate(clean_batch("skus"), "sku")
    with pytest.raises(ValueError, match="must be block or warn"):
        run_gate(clean_batch("skus"), "skus", severity={"code_format": "fatal"})  # type: ignore[dict-item]


def test_only_enabled_expectations_run() -> None:
    batch = clean_batch("sales_order_lines")
    batch.loc[ROW_2, "qty"] = -1
    batch.loc[ROW_3, "sku_code"] = None

    result = run_gate(batch, "sales_order_lines", enabled={"qty_positive", "legacy_key_unique"})

    assert [o.name for o in result.outcomes] == ["legacy_key_unique", "qty_positive"]
    assert result.failed_rows == {ROW_2: ["qty_positive"]}


def test_an_absent_column_is_validated_as_null() -> None:
    batch = clean_batch("customers").drop(columns=["email", "country"])
    assert run_gate(batch, "customers").failed_rows == {}

    no_codes = clean_batch("customers").drop(columns=["code"])
    assert set(run_gate(no_codes, "customers").failed_rows) == set(no_codes.index)


def test_text_in_a_number_column_fails_closed() -> None:
    batch = clean_batch("sales_order_lines")
    batch["qty"] = batch["qty"].astype(object)
    batch.loc[ROW_2, "qty"] = "两件"

    result = run_gate(batch, "sales_order_lines")

    assert all(names == ["qty_positive"] for names in result.failed_rows.values())
    assert set(result.failed_rows) == set(batch.index)


def test_a_batch_without_its_key_column_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="no key column 'legacy_id'"):
        run_gate(clean_batch("skus"), "skus", key_column="legacy_id")


def test_another_key_column_is_checked_for_uniqueness() -> None:
    batch = clean_batch("warehouses").rename(columns={"legacy_key": "旧编码"})
    batch.loc[ROW_3, "旧编码"] = batch.loc[ROW_2, "旧编码"]

    result = run_gate(batch, "warehouses", key_column="旧编码")

    assert result.failed_rows == {ROW_2: ["legacy_key_unique"], ROW_3: ["legacy_key_unique"]}
    assert result.blocking_failures[0].column == "旧编码"


def test_an_empty_batch_passes_every_expectation() -> None:
    result = run_gate(clean_batch("skus").iloc[0:0], "skus")

    assert result.rows == 0
    assert result.failed_rows == {}
    assert [o.name for o in result.outcomes] == expectation_names("skus")
    assert all(o.success and o.unexpected_count == 0 for o in result.outcomes)
    assert run_gate(pd.DataFrame(), "skus").rows == 0


def test_merging_batches_sums_rows_and_counts_and_caps_samples() -> None:
    first = clean_batch("customers", rows=12)
    first.loc[first.index[:8], "phone"] = "12345"
    first.loc[first.index[0], "code"] = None
    second = clean_batch("customers", rows=6).set_axis(range(5000, 5006))
    second["legacy_key"] = [f"second:{i}" for i in range(6)]
    second.loc[second.index[:4], "phone"] = "12345"

    merged = run_gate(first, "customers").merge(run_gate(second, "customers"))

    assert merged.rows == 18
    phone = next(o for o in merged.outcomes if o.name == "phone_is_mobile")
    assert (phone.unexpected_count, phone.success, len(phone.sample_keys)) == (12, False, 10)
    assert phone.sample_keys[:8] == [f"customers:{i}" for i in range(8)]
    assert merged.failed_rows == {FIRST_LABEL: ["code_not_null"]}
    assert [o.name for o in merged.outcomes] == expectation_names("customers")


def test_merging_a_clean_batch_keeps_a_failure_failed() -> None:
    dirty = clean_batch("opening_stock")
    dirty.loc[ROW_2, "qty"] = -5
    clean = clean_batch("opening_stock").set_axis(range(9000, 9006))
    clean["legacy_key"] = [f"clean:{i}" for i in range(6)]

    merged = GateResult("opening_stock", 0, [], {}).merge(run_gate(dirty, "opening_stock"))
    merged = merged.merge(run_gate(clean, "opening_stock"))

    assert [(o.name, o.unexpected_count) for o in merged.blocking_failures] == [("qty_nonnegative", 1)]
    assert merged.failed_rows == {ROW_2: ["qty_nonnegative"]}


def test_the_result_is_plain_json() -> None:
    batch = clean_batch("purchase_order_lines")
    batch.loc[ROW_2, "qty_received"] = 500

    result = run_gate(batch, "purchase_order_lines")
    summary = json.loads(json.dumps(result.to_json(), ensure_ascii=False))
    detailed = json.loads(json.dumps(result.to_json(include_rows=True), ensure_ascii=False))

    assert (summary["rows"], summary["failed_row_count"]) == (6, 1)
    assert summary["blocking_failures"] == ["qty_received_within_ordered"]
    assert "failed_rows" not in summary
    assert detailed["failed_rows"] == {str(ROW_2): ["qty_received_within_ordered"]}


def test_every_suite_names_its_checks_in_snake_case_with_a_severity() -> None:
    for entity in SUITES:
        names = expectation_names(entity)
        assert len(names) == len(set(names))
        assert all(name.replace("_", "").isalnum() and name == name.lower() for name in names)
        assert set(default_severity(entity).values()) <= {"block", "warn"}
    assert default_severity("customers")["phone_is_mobile"] == "warn"


def test_data_docs_show_the_suite_with_reason_codes_and_the_failed_value(tmp_path: Path) -> None:
    sample = clean_batch("customers")
    sample.loc[ROW_2, "name"] = "王芳'; DROP TABLE customers; --"

    index = build_data_docs(tmp_path / "docs", "customers", sample)

    assert index == tmp_path / "docs" / "index.html"
    suite_page = (tmp_path / "docs" / "expectations" / "erpops" / "customers.html").read_text(encoding="utf-8")
    assert "reason code no_injection_name, severity block" in suite_page
    [validation_page] = (tmp_path / "docs" / "validations").rglob("*.html")
    assert "DROP TABLE customers" in validation_page.read_text(encoding="utf-8")
    assert run_gate(sample, "customers").failed_rows == {ROW_2: ["no_injection_name"]}


def test_nullable_integers_with_gaps_are_checked_like_numpy_ones() -> None:
    batch = clean_batch("sales_order_lines")
    batch.loc[ROW_2, "qty"] = -1
    batch.loc[ROW_3, "qty"] = None

    result = run_gate(batch.astype({"qty": "Int64", "line_no": "Int64", "unit_price": "Int64"}), "sales_order_lines")

    assert result.failed_rows == {ROW_2: ["qty_positive"], ROW_3: ["qty_not_null"]}
