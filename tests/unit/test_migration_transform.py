"""Transforms turn legacy strings into typed fields, and say which rows failed and why."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from erp_models.migration.mapping import Entity
from erp_models.migration.transform import (
    SeenHashes,
    TransformState,
    apply_transform,
    datetime_text,
    transform_batch,
)


def series(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype="object")


def test_mixed_decimal_formats_become_minor_units() -> None:
    values, bad = apply_transform(series("129.00", "1,299.00", "1.299,00", "¥39.90", " 129 ", "abc", None), "decimal")
    assert values.tolist()[:5] == [12900, 129900, 129900, 3990, 12900]
    assert bad is not None and bad.tolist() == [False, False, False, False, False, True, False]


def test_money_with_blanks_around_it_reads_and_blanks_alone_are_missing_not_bad() -> None:
    values, bad = apply_transform(series(" 12.50 ", "\t7\n", "   ", " ¥1,234.50 ", "1.299,00 ", " x "), "decimal")
    assert values.tolist()[:2] == [1250, 700] and values.tolist()[3:5] == [123450, 129900]
    assert pd.isna(values[2]) and pd.isna(values[5])
    assert bad is not None and bad.tolist() == [False, False, False, False, False, True]


def test_dates_with_explicit_formats_are_localised_to_shanghai() -> None:
    values, bad = apply_transform(series("2024-06-01 10:00:00", "2024/06/02", "昨天"),
                                  {"date": {"formats": ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d"]}})
    assert str(values[0]) == "2024-06-01 10:00:00+08:00"
    assert str(values[1]) == "2024-06-02 00:00:00+08:00"
    assert bad is not None and bad.tolist() == [False, False, True]


def test_value_maps_regex_and_case() -> None:
    channel, _ = apply_transform(series("天猫", "京东", "快手"), {"value_map": {"map": {"天猫": "tmall", "京东": "jd"},
                                                                             "default": None}})
    assert channel.tolist()[:2] == ["tmall", "jd"] and pd.isna(channel[2])
    phone, _ = apply_transform(series("手机:13800138000", "n/a"), {"regex_extract": r"(1[3-9]\d{9})"})
    assert phone[0] == "13800138000" and pd.isna(phone[1])
    upper, _ = apply_transform(series(" sku-1 "), "trim")
    assert apply_transform(upper, "upper")[0].tolist() == ["SKU-1"]


def entity() -> Entity:
    return Entity.model_validate({
        "target": "sales_order_lines", "legacy_key": "{InvoiceNo}#{line_no}",
        "source": {"csv": {"path": "x.csv"}},
        "columns": {"order_key": {"from": "InvoiceNo"}, "line_no": {"sequence_within": ["InvoiceNo"]},
                    "sku_code": {"from": "StockCode", "transforms": ["trim", "upper"]},
                    "qty": {"from": "Quantity"}, "unit_price": {"from": "UnitPrice"}},
        "reject": [{"column": "StockCode", "in": ["POST", "DOT"], "reason": "rejected_non_product"}],
    })


def raw(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Quantity", "UnitPrice"])
    frame["_line"] = range(2, 2 + len(frame))
    return frame


def test_streaming_in_batches_gives_the_same_lines_as_reading_whole() -> None:
    rows = [("536365", "85123a", "6", "2.55"), ("536365", "71053", "6", "3.39"), ("536365", "85123a", "6", "2.55"),
            ("536366", "POST", "1", "18.00"), ("536366", "22633", "x", "1.85")]
    state = TransformState()
    first = transform_batch(raw(rows[:2]), entity(), state)
    second = transform_batch(raw(rows[2:]), entity(), state)
    keys = first.frame["legacy_key"].tolist() + second.frame["legacy_key"].tolist()
    assert keys == ["536365#1", "536365#2", "536366#1"]  # the exact duplicate is gone, POST rejected
    assert second.rejected == {"duplicate_row": 1, "rejected_non_product": 1}
    assert list(second.quarantined.values()) == [["bad_qty"]]
    assert first.frame["sku_code"].tolist() == ["85123A", "71053"]
    assert first.frame["unit_price"].tolist() == [255, 339]


def test_integers_parse_with_spaces_and_refuse_fractions_and_text() -> None:
    values = pd.Series(["1", " 2 ", None, "", " ", "x", "3.5", "4.0", "99999999999", "inf"], dtype="str",
                       index=range(10, 20))

    numbers, bad = apply_transform(values, "int")

    assert numbers.tolist() == [1, 2, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, 4, 99999999999, pd.NA]
    assert bad is not None
    assert bad[bad].index.tolist() == [15, 16, 19]  # 'x', '3.5', 'inf'; empty values are missing, not wrong
    exact, _ = apply_transform(pd.Series(["9007199254740993", "5"], dtype="str"), "int")
    assert exact.tolist() == [9007199254740993, 5]  # past 2**53: not through floats


def test_seen_hashes_find_exactly_the_hashes_added_before() -> None:
    seen = SeenHashes()
    first = np.array([7, 3, 2**64 - 1], dtype=np.uint64)
    assert not seen.contains(first).any()
    seen.add(first)
    seen.add(np.array([5], dtype=np.uint64))

    probe = np.array([3, 4, 5, 2**64 - 1, 2**64 - 2, 0, 7], dtype=np.uint64)

    assert seen.contains(probe).tolist() == [True, False, True, True, False, False, True]
    assert len(seen) == 4


def test_an_exact_duplicate_many_batches_later_is_still_dropped() -> None:
    state = TransformState()
    for n in range(5):
        transform_batch(raw([(f"5{n}", "85123a", "6", "2.55")]), entity(), state)

    again = transform_batch(raw([("50", "85123a", "6", "2.55"), ("59", "85123a", "6", "2.55")]), entity(), state)

    assert again.rejected["duplicate_row"] == 1
    assert again.frame["legacy_key"].tolist() == ["59#1"]


def test_a_datetime_is_written_the_same_whatever_else_is_in_its_batch() -> None:
    def text_of(*values: str) -> list[str]:
        parsed = pd.to_datetime(pd.Series(values), format="ISO8601").dt.tz_localize("Asia/Shanghai")
        return datetime_text(parsed).tolist()

    assert text_of("2024-06-01 10:00:00") == ["2024-06-01 10:00:00+08:00"]
    assert text_of("2024-06-01 10:00:00", "2024-06-01 10:00:00.5") == [
        "2024-06-01 10:00:00+08:00", "2024-06-01 10:00:00.500000+08:00"]
    assert text_of("1990-07-02 10:00:00.123456789") == ["1990-07-02 10:00:00.123456789+09:00"]  # summer time then
    assert text_of("1900-06-01 10:00:00") == ["1900-06-01 10:00:00+08:05:43"]  # local mean time, before zones


def test_a_row_hash_does_not_depend_on_the_other_rows_of_its_batch() -> None:
    mapping = Entity.model_validate({
        "target": "sales_orders", "source": {"csv": {"path": "o.csv"}}, "legacy_key": "{no}",
        "columns": {"channel": {"value": "tmall"}, "external_id": {"from": "no"}, "total": {"from": "amount"},
                    "ordered_at": {"from": "at"}}})

    def hashes(*rows: tuple[str, str, str]) -> list[str]:
        frame = pd.DataFrame(rows, columns=["no", "at", "amount"])
        frame["_line"] = range(2, 2 + len(frame))
        return transform_batch(frame, mapping, TransformState()).frame["row_hash"].tolist()

    alone = hashes(("A1", "2024-06-01T10:00:00+08:00", "1.00"))
    beside_a_fraction = hashes(("A1", "2024-06-01T10:00:00+08:00", "1.00"), ("A2", "2024-06-01T10:00:00.5+08:00", "1"))
    assert beside_a_fraction[0] == alone[0]


def test_a_date_format_without_an_offset_reads_every_value_in_the_local_zone() -> None:
    values, bad = apply_transform(series("20240601-1030", "20240601-0800"), {"date": {"formats": ["%Y%m%d-%H%M"]}})

    assert bad is not None and not bad.any()
    assert values.dt.strftime("%Y-%m-%d %H:%M%z").tolist() == ["2024-06-01 10:30+0800", "2024-06-01 08:00+0800"]


def test_a_format_ending_in_a_literal_z_reads_the_value_as_utc() -> None:
    values, bad = apply_transform(series("2024-06-01T10:30:00Z"), {"date": {"formats": ["%Y-%m-%dT%H:%M:%SZ"]}})

    assert bad is not None and not bad.any()
    assert values.dt.strftime("%Y-%m-%d %H:%M%z").tolist() == ["2024-06-01 18:30+0800"]


def test_a_reject_pattern_with_groups_rejects_quietly() -> None:
    rule = entity().reject[0].model_copy(update={"in_": None, "matches": r"^(POST|DOT)$"})
    mapping = entity().model_copy(update={"reject": [rule]})

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch = transform_batch(raw([("1", "DOT", "1", "1"), ("1", "85123A", "1", "1")]), mapping, TransformState())

    assert batch.rejected["rejected_non_product"] == 1


def test_trimming_blanks_leaves_a_missing_value_not_an_empty_text() -> None:
    values, _ = apply_transform(series("  杯子 ", "   ", None), "trim")
    squeezed, _ = apply_transform(series(" a  b ", " \t "), "squeeze")

    assert values.tolist() == ["杯子", pd.NA, pd.NA]
    assert squeezed.tolist() == ["a b", pd.NA]


def test_a_legacy_key_with_a_missing_part_is_null_and_is_not_taken_for_a_duplicate() -> None:
    batch = transform_batch(raw([("", "85123A", "1", "1"), (" ", "71053", "1", "1"), ("536365", "22633", "1", "1")]),
                            entity(), TransformState())

    assert batch.frame["legacy_key"].tolist() == [pd.NA, pd.NA, "536365#1"]
    assert batch.rejected["duplicate_key"] == 0  # the gate quarantines them (legacy_key_not_null), visibly


def orders(legacy_key: str, keep: str) -> Entity:
    """Orders made from their lines: the total runs over an order's lines, and one row per order stays."""
    return Entity.model_validate({
        "target": "sales_orders", "legacy_key": legacy_key, "source": {"csv": {"path": "lines.csv"}},
        "dedupe": {"keep": keep},
        "columns": {"channel": {"value": "tmall"}, "external_id": {"from": "no"},
                    "ordered_at": {"from": "at", "transforms": [{"date": {"formats": ["%Y-%m-%d"]}}]},
                    "status": {"value": "completed"},
                    "total": {"running_total": {"within": ["no"], "quantity": "qty", "price": "price"}}},
    })


def order_lines(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["no", "at", "qty", "price"])
    frame["_line"] = range(2, 2 + len(frame))
    return frame


def test_repeated_keys_dropped_before_the_transforms_give_what_dropping_them_after_gives() -> None:
    # "{no}" reads a source column, so its repeats leave before the typed transforms; "{external_id}" reads a
    # field, so they can only leave after them. Same keys, same rows kept, same totals and failures.
    lines = order_lines([("A", "2024-01-02", "1", "10.00"), ("A", "bad date", "2", "5.00"),
                         ("B", "2024-01-03", "1", "1.50"), ("A", "2024-01-04", "1", "1.00"),
                         ("C", "not a date", "3", "2.00"), ("", "2024-01-05", "1", "1.00")])
    for keep in ("first", "last"):
        early = transform_batch(lines.copy(), orders("{no}", keep), TransformState())
        late = transform_batch(lines.copy(), orders("{external_id}", keep), TransformState())
        pd.testing.assert_frame_equal(early.frame, late.frame)
        assert early.quarantined == late.quarantined
        assert early.rejected == late.rejected and +early.rejected == {"duplicate_key": 2}
        assert early.examples["duplicate_key"] == late.examples["duplicate_key"] == ["A"]
    assert early.frame.set_index("legacy_key")["total"].to_dict()["A"] == 2100  # 10.00 + 2 × 5.00 + 1.00
