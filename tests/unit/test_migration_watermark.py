"""Delta watermarks compare as the type the mapping gives them, not as text."""

from __future__ import annotations

from typing import Any

import pandas as pd

from erp_models.migration import watermark
from erp_models.migration.mapping import Entity


def orders(mark: Any, **columns: Any) -> Entity:
    return Entity.model_validate({
        "target": "sales_orders", "legacy_key": "{no}", "source": {"csv": {"path": "o.csv"}}, "watermark": mark,
        "columns": {"channel": {"value": "tmall"}, "external_id": {"from": "no"}, "total": {"from": "amount"},
                    "ordered_at": {"from": "created"}, **columns}})


def test_a_numeric_watermark_compares_as_numbers() -> None:
    assert watermark.highest(["9", "10", "8"], orders({"from": "version", "transforms": ["int"]})) == "10"


def test_a_date_format_that_does_not_sort_as_text_compares_as_dates() -> None:
    entity = orders({"from": "changed", "transforms": [{"date": {"formats": ["%d/%m/%Y %H:%M"]}}]})
    assert watermark.highest(["10/05/2024 09:00", "04/06/2024 08:00"], entity) == "04/06/2024 08:00"


def test_the_column_that_maps_the_watermark_lends_its_type() -> None:
    # As in the UCI mapping: `ordered_at` reads InvoiceDate with a date transform.
    entity = orders("InvoiceDate", ordered_at={"from": "InvoiceDate",
                                               "transforms": [{"date": {"formats": ["%m/%d/%Y %H:%M"]}}]})
    assert watermark.typed(entity)
    assert watermark.highest(["12/9/2010 8:00", "12/10/2010 7:00"], entity) == "12/10/2010 7:00"


def test_an_untyped_watermark_is_read_as_iso_dates_and_times() -> None:
    entity = orders("updated_at")
    assert not watermark.typed(entity)
    # As text, 'T' sorts after ' ', and the offset is ignored: 17:30 in Shanghai is the latest.
    marks = ["2024-06-01T10:00:00", "2024-06-01 11:00:00", "2024-06-01T09:30:00+00:00"]
    assert watermark.highest(marks, entity) == "2024-06-01T09:30:00+00:00"
    assert watermark.parse(pd.Series(["not a date", ""]), entity).isna().all()  # such rows are always loaded
