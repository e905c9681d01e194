"""The quarantine's detail shows the offending value and the check it failed; a gate result survives its checkpoint."""

from __future__ import annotations

import pandas as pd

from erp_models.migration.mapping import Entity
from erp_models.migration.service import quarantine
from erp_models.migration.transform import TransformState, transform_batch
from expectations.gate import run_gate


def orders() -> Entity:
    return Entity.model_validate({
        "target": "sales_orders", "legacy_key": "{order_no}", "source": {"csv": {"path": "orders.csv"}},
        "columns": {"channel": {"value": "tmall"}, "external_id": {"from": "order_no"},
                    "customer_code": {"from": "customer"}, "status": {"value": "completed"},
                    "ordered_at": {"from": "created", "transforms": [{"date": {"formats": ["%Y-%m-%d"]}}]},
                    "currency": {"value": "CNY"}, "total": {"from": "amount"}},
    })


def lines() -> Entity:
    return Entity.model_validate({
        "target": "sales_order_lines", "legacy_key": "{order_no}#{line}", "source": {"csv": {"path": "lines.csv"}},
        "columns": {"order_key": {"from": "order_no"}, "line_no": {"from": "line"}, "sku_code": {"from": "sku"},
                    "qty": {"from": "qty"}, "unit_price": {"from": "price"}},
    })


def raw(columns: list[str], rows: list[tuple[str, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    frame["_line"] = range(2, 2 + len(frame))
    return frame


def set_aside(entity: Entity, frame: pd.DataFrame) -> list[dict[str, object]]:
    batch = transform_batch(frame, entity, TransformState())
    gate = run_gate(batch.frame.drop(index=list(batch.quarantined)), entity.target)
    reasons = dict(batch.quarantined)
    for label, codes in gate.failed_rows.items():
        reasons.setdefault(int(label), []).extend(codes)
    return quarantine.quarantine_rows(batch, reasons, entity, gate, "x.csv")


def test_a_value_no_transform_can_read_is_named_with_the_transform_that_failed() -> None:
    rows = set_aside(orders(), raw(["order_no", "customer", "created", "amount"],
                                   [("T1", "C1", "2024-06-01", "9.90"), ("T2", "C1", "昨天", "9.90")]))
    assert [(r["legacy_key"], r["reason_code"], r["source_row"]) for r in rows] == [("T2", "bad_ordered_at", 3)]
    assert "created='昨天'" in str(rows[0]["detail"]) and "transform date" in str(rows[0]["detail"])


def test_a_gate_failure_names_the_expectation_the_column_and_the_value() -> None:
    rows = set_aside(lines(), raw(["order_no", "line", "sku", "qty", "price"],
                                  [("T1", "1", "S1", "2", "1.00"), ("T1", "2", "S1", "-3", "1.00")]))
    assert [r["legacy_key"] for r in rows] == ["T1#2"]
    detail = str(rows[0]["detail"])
    assert detail.startswith(f"gate {rows[0]['reason_code']} (expect_") and "qty='-3'" in detail


def test_an_orphan_names_the_reference_value_that_matches_nothing() -> None:
    rows = quarantine.orphan_rows([{"_row": 4, "_line": 5, "legacy_key": "T1#2", "reason": "orphan_sku_code",
                                    "raw": {"_row": 4, "sku_code": "S404", "qty": 1}}])
    assert rows[0]["detail"] == "sku_code='S404': no such record in the ERP or this run"
    assert rows[0]["raw"] == {"sku_code": "S404", "qty": 1}


def test_repeated_keys_are_counted_and_some_of_them_named() -> None:
    keys = [f"K{n}" for n in range(11)]
    row = quarantine.orphan_rows([], duplicates=14, duplicate_keys=keys)[0]
    assert row["reason_code"] == "duplicate_key"
    assert row["detail"] == "14 rows: K0, K1, K2, K3, K4, K5, K6, K7, K8, K9, ..."  # the count comes first


def test_a_gate_result_read_back_from_its_checkpoint_merges_like_the_original() -> None:
    entity = lines()
    first = transform_batch(raw(["order_no", "line", "sku", "qty", "price"],
                                [("T1", "1", "S1", "-1", "1.00")]), entity, state := TransformState())
    second = transform_batch(raw(["order_no", "line", "sku", "qty", "price"],
                                 [("T2", "1", None, "2", "1.00")]), entity, state)
    a, b = run_gate(first.frame, entity.target), run_gate(second.frame, entity.target)
    stored = quarantine.gate_from_json(a.to_json(include_rows=True))
    assert stored.merge(b).to_json() == a.merge(b).to_json()
    assert stored.failed_rows == a.failed_rows


def test_repeats_dropped_in_a_batch_are_named_by_key_or_source_line() -> None:
    batch = transform_batch(raw(["order_no", "line", "sku", "qty", "price"],
                                [("T1", "1", "S1", "2", "1.00"), ("T1", "1", "S2", "2", "1.00"),
                                 ("T2", "1", "S1", "2", "1.00"), ("T2", "1", "S1", "2", "1.00")]),
                            lines(), TransformState())
    rows = {reason: quarantine.summary_row(reason, count, "lines.csv", batch.examples.get(reason))
            for reason, count in batch.rejected.items()}
    assert rows["duplicate_row"]["detail"] == "1 rows: line 5"
    assert rows["duplicate_key"]["detail"] == "1 rows: T1#1"
