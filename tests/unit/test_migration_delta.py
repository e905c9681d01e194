"""A delta leaves the rows at or below the watermark as soon as they are read, and counts them only as skipped."""

from __future__ import annotations

import pandas as pd

from erp_models.migration.mapping import Entity
from erp_models.migration.service import delta
from erp_models.migration.service.extract import RawBatch
from erp_models.migration.transform import TransformState, transform_batch

LINES = Entity.model_validate({
    "target": "sales_order_lines", "legacy_key": "{no}#{line_no}", "source": {"csv": {"path": "l.csv"}},
    "watermark": "changed",
    "columns": {"order_key": {"from": "no"}, "line_no": {"sequence_within": ["no"]}, "sku_code": {"from": "sku"},
                "qty": {"from": "qty"}, "unit_price": {"from": "price"}}})


def raw(*rows: tuple[str, str, str, str]) -> RawBatch:
    frame = pd.DataFrame(rows, columns=["no", "sku", "qty", "changed"]).assign(price="1.00")
    return RawBatch("l.csv", frame.assign(_line=range(2, 2 + len(frame))))


def since(mark: str) -> object:
    return delta.since_value(mark, LINES)


def test_old_rows_are_skipped_before_their_duplicates_and_failures_are_counted() -> None:
    batch, skipped, _ = delta.transform_past(raw(("A", "S1", "1", "2024-06-01"), ("A", "S1", "1", "2024-06-01"),
                                                 ("B", "S2", "x", "2024-06-01"), ("C", "S3", "2", "2024-06-09")),
                                             LINES, TransformState(), since("2024-06-02"))
    assert skipped == 3
    assert batch.frame["order_key"].tolist() == ["C"]
    assert (sum(batch.rejected.values()), batch.quarantined) == (0, {})


def test_a_line_added_to_an_old_order_gets_the_number_a_load_gives_it() -> None:
    rows = raw(("A", "S1", "1", "2024-06-01"), ("B", "S2", "1", "2024-06-01"), ("A", "S3", "1", "2024-06-01"),
               ("A", "S4", "1", "2024-06-09"))
    loaded = transform_batch(rows.frame, LINES, TransformState()).frame
    batch, skipped, marks = delta.transform_past(rows, LINES, TransformState(), since("2024-06-02"))
    assert skipped == 3
    assert batch.frame[["order_key", "line_no"]].values.tolist() == [["A", 3]] == \
        loaded[loaded["sku_code"] == "S4"][["order_key", "line_no"]].values.tolist()
    assert marks["text"].tolist() == ["2024-06-09"]


def test_without_a_watermark_in_force_every_row_is_transformed() -> None:
    batch, skipped, marks = delta.transform_past(raw(("A", "S1", "1", "2024-06-01"), ("B", "S2", "1", "")),
                                                 LINES, TransformState(), None)
    assert (len(batch.frame), skipped) == (2, 0)
    assert marks["text"].tolist() == ["2024-06-01"]  # a row without a watermark has none to offer
