"""A delta's first look at its CSV files (which leading batches it need not parse, which skipped rows carry
counts on) changes nothing in what the delta transforms, numbers, skips or reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from erp_models.migration.mapping import Entity
from erp_models.migration.service import delta, delta_scan
from erp_models.migration.service.extract import batches
from erp_models.migration.service.plain_lines import offset_after_lines
from erp_models.migration.sources import Source
from erp_models.migration.transform import TransformState

ORDERS = Entity.model_validate({
    "target": "sales_orders", "legacy_key": "{no}", "source": {"csv": {"path": "lines.csv"}}, "watermark": "at",
    "dedupe": {"keep": "last"},
    "columns": {"channel": {"value": "tmall"}, "external_id": {"from": "no"}, "ordered_at": {"from": "at"},
                "total": {"running_total": {"within": ["no"], "quantity": "qty", "price": "price"}}}})
LINES = Entity.model_validate({
    "target": "sales_order_lines", "legacy_key": "{no}#{line_no}", "source": {"csv": {"path": "lines.csv"}},
    "watermark": "at",
    "columns": {"order_key": {"from": "no"}, "line_no": {"sequence_within": ["no"]}, "sku_code": {"from": "sku"},
                "qty": {"from": "qty"}, "unit_price": {"from": "price"}}})
OLD, NEW = "2024-06-01 10:00:00", "2024-06-09 10:00:00"


def write(tmp_path: Path, rows: list[tuple[str, str, str]], *, newline: str = "\n", quoted: bool = False,
          encoding: str = "utf-8") -> None:
    """Rows of (order, sku, time); every row a quantity of 2 at 1.50."""
    cells = [f'"{no}"' if quoted else no for no, _, _ in rows]
    body = "".join(f"{cell},{sku},2,1.50,{at}{newline}" for cell, (_, sku, at) in zip(cells, rows, strict=True))
    (tmp_path / "lines.csv").write_text(f"no,sku,qty,price,at{newline}{body}", encoding=encoding, newline="")


def run(entity: Entity, tmp_path: Path, *, first_look: bool) -> list[tuple[Any, ...]]:
    since = delta.since_value("2024-06-02 00:00:00", entity)
    scan = delta_scan.scan(entity, tmp_path, 3, since) if first_look else None
    state, out = TransformState(), []
    for raw in batches(entity, tmp_path, 3, scan.unread if scan else None):
        batch, skipped, marks = delta.transform_past(raw, entity, state, since, scan.carried if scan else None)
        out.append((raw.rows, skipped, batch.frame.reset_index().to_dict("records"), marks["text"].tolist(),
                    batch.quarantined, dict(batch.rejected), batch.read))
    return out


# Orders A and B are old; A gets a new line later (its count and total go on), C is all new.
ROWS = [("A", "S1", OLD), ("B", "S2", OLD), ("A", "S3", OLD), ("B", "S4", OLD), ("B", "S5", OLD), ("D", "S6", OLD),
        ("D", "S7", OLD), ("A", "S8", OLD), ("E", "S9", OLD), ("A", "S10", NEW), ("C", "S11", NEW), ("B", "S12", OLD)]


@pytest.mark.parametrize("entity", [ORDERS, LINES], ids=["running total", "sequence"])
def test_a_first_look_changes_nothing_a_delta_transforms_numbers_or_skips(tmp_path: Path, entity: Entity) -> None:
    write(tmp_path, ROWS)
    assert run(entity, tmp_path, first_look=True) == run(entity, tmp_path, first_look=False)


def test_leading_batches_of_old_rows_of_groups_no_new_row_has_are_not_parsed(tmp_path: Path) -> None:
    rows = [("B", "S1", OLD), ("D", "S2", OLD), ("B", "S3", OLD), ("A", "S4", OLD), *ROWS[9:]]
    write(tmp_path, rows)
    scan = delta_scan.scan(LINES, tmp_path, 3, delta.since_value("2024-06-02 00:00:00", LINES))
    assert scan is not None and scan.unread[str(tmp_path / "lines.csv")].batches == [3]
    first = run(LINES, tmp_path, first_look=True)
    assert [(rows, skipped) for rows, skipped, *_ in first] == [(3, 3), (3, 1), (1, 1)]
    assert first == run(LINES, tmp_path, first_look=False)
    order_scan = delta_scan.scan(ORDERS, tmp_path, 3, delta.since_value("2024-06-02 00:00:00", ORDERS))
    assert order_scan is not None and order_scan.unread[str(tmp_path / "lines.csv")].batches == [3]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_files_in_every_encoding_give_the_same_delta(tmp_path: Path, encoding: str) -> None:
    plain = [("B", "S1", OLD), ("D", "S2", OLD), ("B", "S3", OLD), *ROWS]
    write(tmp_path, [(f"订单{no}", f"商品{sku}", at) for no, sku, at in plain], encoding=encoding)
    entity = LINES.model_copy(update={"source": Source.model_validate({"csv": {"path": "lines.csv",
                                                                               "encoding": encoding}})})
    scan = delta_scan.scan(entity, tmp_path, 3, delta.since_value("2024-06-02 00:00:00", entity))
    assert scan is not None and scan.unread[str(tmp_path / "lines.csv")].batches == [3]
    assert run(entity, tmp_path, first_look=True) == run(entity, tmp_path, first_look=False)


@pytest.mark.parametrize("options", [{"newline": "\r\n"}, {"quoted": True}], ids=["CRLF", "quoted"])
def test_files_of_other_shapes_give_the_same_delta(tmp_path: Path, options: dict[str, Any]) -> None:
    write(tmp_path, [("B", "S1", OLD), ("D", "S2", OLD), ("B", "S3", OLD), *ROWS], **options)
    assert run(LINES, tmp_path, first_look=True) == run(LINES, tmp_path, first_look=False)


@pytest.mark.parametrize(("content", "lines", "offset"), [
    (b"a,b\n1,2\n3,4\n", 2, 8), (b"a,b\r\n1,2\r\n3,4\r\n", 2, 10), (b'a,b\n1,2\n"3",4\n', 2, 8),
    (b"a,b\n1,2\n\n3,4\n", 3, None), (b'a,b\n"1\n",2\n', 2, None), (b"a,b\r1,2\r\n", 1, None),
    (b"a,b\n 1,2\n", 2, None), (b"a,b\n1,2", 2, None), (b"\na,b\n1,2\n", 1, None), (b"a,b\n1\x00,2\n", 2, None),
])
def test_the_byte_after_plain_lines_is_found_and_anything_else_is_refused(
        tmp_path: Path, content: bytes, lines: int, offset: int | None) -> None:
    (tmp_path / "f.csv").write_bytes(content)
    assert offset_after_lines(tmp_path / "f.csv", lines) == offset


def test_a_file_that_cannot_be_read_gets_no_first_look_and_fails_as_a_load_would(tmp_path: Path) -> None:
    (tmp_path / "lines.csv").write_text(f'no,sku,qty,price,at\nA,S1,2,1.50,{OLD}\n"B,S2,2,1.50,{NEW}\n')
    since = delta.since_value("2024-06-02 00:00:00", LINES)
    assert delta_scan.scan(LINES, tmp_path, 3, since) is None
    with pytest.raises(ValueError, match="broken CSV quoting"):
        list(batches(LINES, tmp_path, 3))


def test_a_defect_after_the_rows_left_unparsed_is_reported_as_a_load_reports_it(tmp_path: Path) -> None:
    write(tmp_path, [("B", "S1", OLD), ("D", "S2", OLD), ("B", "S3", OLD), ("A", "S4", NEW)])
    with (tmp_path / "lines.csv").open("a", encoding="utf-8") as out:
        out.write(f"A,S5,2,1.50,{NEW},surplus\n")
    with pytest.raises(ValueError) as whole:
        list(batches(LINES, tmp_path, 3))
    scan = delta_scan.scan(LINES, tmp_path, 3, delta.since_value("2024-06-02 00:00:00", LINES))
    unread = scan.unread if scan else None
    with pytest.raises(ValueError) as after_first_look:
        list(batches(LINES, tmp_path, 3, unread))
    assert str(after_first_look.value) == str(whole.value)
