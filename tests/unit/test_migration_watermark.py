"""Delta watermarks compare as the type the mapping gives them, not as text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from erp_models.migration import watermark
from erp_models.migration.mapping import Entity, Mapping
from erp_models.migration.watermark import RunMarks


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


def shop(mark: Any = "updated_at") -> Mapping:
    return Mapping(name="shop", entities={"sales_orders": orders(mark)})


def run(day: int, *, delta: bool = True, mark: str | None = None, undone_on: int | None = None) -> RunMarks:
    """A run started on 1 June + `day` hours, passed half an hour later, perhaps undone later."""
    at = datetime(2024, 6, 1, tzinfo=UTC) + timedelta(hours=day)
    return RunMarks(uuid.uuid4(), delta, at, at + timedelta(minutes=30),
                    None if undone_on is None else datetime(2024, 6, 1, tzinfo=UTC) + timedelta(hours=undone_on),
                    {} if mark is None else {"sales_orders": mark})


def test_the_watermark_in_force_is_the_highest_that_a_run_loaded() -> None:
    history = [run(0, delta=False, mark="2024-06-02T11:30:00"), run(1, mark="2024-06-05T08:00:00"), run(2)]
    assert watermark.in_force(history, shop()) == {"sales_orders": "2024-06-05T08:00:00"}


def test_undoing_a_delta_goes_back_to_the_watermark_it_started_from() -> None:
    # Base load, a delta, a delta that loads nothing, then the first delta undone.
    history = [run(0, delta=False, mark="2024-06-02T11:30:00"), run(1, mark="2024-06-05T08:00:00", undone_on=3),
               run(2)]
    assert watermark.in_force(history, shop()) == {"sales_orders": "2024-06-02T11:30:00"}


def test_a_run_after_the_undo_raises_the_watermark_again() -> None:
    history = [run(0, delta=False, mark="2024-06-02T11:30:00"), run(1, mark="2024-06-05T08:00:00", undone_on=2),
               run(3, mark="2024-06-05T08:00:00")]
    assert watermark.in_force(history, shop()) == {"sales_orders": "2024-06-05T08:00:00"}


def test_a_later_run_does_not_keep_the_rows_of_an_undone_run_skipped() -> None:
    # The second delta loaded newer rows; once the first is undone, both are read again.
    history = [run(0, delta=False, mark="2024-06-02T11:30:00"), run(1, mark="2024-06-05T08:00:00", undone_on=4),
               run(2, mark="2024-06-07T08:00:00")]
    assert watermark.in_force(history, shop()) == {"sales_orders": "2024-06-02T11:30:00"}


def test_undoing_the_base_load_reads_everything_again() -> None:
    history = [run(0, delta=False, mark="2024-06-02T11:30:00", undone_on=5), run(1, mark="2024-06-05T08:00:00")]
    assert watermark.in_force(history, shop()) == {}
