"""Hostile CSV cells through the reader, the transform and COPY into staging, and values the ERP refuses:
each loads as written or ends in one line (exit 2) naming the file or entity, row and column, never a traceback."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.migration import loader, runs, staging
from erp_models.migration.mapping import Entity
from erp_models.migration.service.extract import batches
from erp_models.migration.targets import TARGETS
from erp_models.migration.transform import TransformState, transform_batch
from erpops.errors import user_message
from tests.integration.builders import ref

TARGET = TARGETS["warehouses"]


def stage_csv(session: Session, folder: Path, data: bytes, encoding: str = "utf-8") -> list[tuple[str, str | None]]:
    """Stage `data` as a warehouses export the way a migration run does; returns the staged (code, name)."""
    (folder / "w.csv").write_bytes(data)
    entity = Entity.model_validate({"target": "warehouses", "legacy_key": "{code}",
                                    "source": {"csv": {"path": "w.csv", "encoding": encoding}},
                                    "columns": {"code": {"from": "code"}, "name": {"from": "name"}}})
    with session.begin_nested():
        table = staging.create_staging(session, uuid.uuid4(), "warehouses", TARGET)
    state = TransformState()
    with session.begin_nested():
        for batch_no, raw in enumerate(batches(entity, folder, 1000), start=1):
            batch = transform_batch(raw.frame, entity, state)
            staging.copy_batch(session, table, batch.frame.drop(index=list(batch.quarantined)), TARGET, batch_no,
                               source=raw.file)
    return [(r[0], r[1]) for r in session.execute(text(f"SELECT code, name FROM {table} ORDER BY _row")).all()]


def one_line(exc: BaseException) -> str:
    """The line the CLI prints for `exc`; fails the test when the CLI would print a traceback."""
    message = user_message(exc)
    assert message is not None, f"a traceback: {exc!r}"
    code, line = message
    assert code == 2 and "\n" not in line and len(line) < 400, line
    return line


def test_a_nul_byte_is_one_line_naming_file_row_and_column(session: Session, tmp_path: Path) -> None:
    with pytest.raises(Exception) as caught:
        stage_csv(session, tmp_path, b"code,name\nW1,ok\nW2,a\x00b\n")
    assert one_line(caught.value) == (f"{tmp_path / 'w.csv'} row 3 column 'name': contains a NUL byte (0x00), "
                                      "which PostgreSQL cannot store; remove it from the export")


@pytest.mark.parametrize(("data", "encoding", "says"), [
    (b"code,name\nW1,\xed\xa0\x80\n", "utf-8", "row 2: byte 0xed at position 4 is not valid utf-8"),  # lone surrogate
    (b"code,name\nW1,ok\nW2,\x81\x20\n", "gbk", "row 3: byte 0x81 at position 4 is not valid gbk"),
    (b"code,name\nW1,ok\nW2,\xff\xfe\n", "gb18030", "row 3: byte 0xff at position 4 is not valid gb18030"),
    (b'code,name\nW1,"never closed\nW2,x\n', "utf-8", "row 2: broken CSV quoting (a quoted field never ends)"),
])
def test_undecodable_or_broken_input_is_one_line_naming_the_row(session: Session, tmp_path: Path, data: bytes,
                                                                encoding: str, says: str) -> None:
    with pytest.raises(Exception) as caught:
        stage_csv(session, tmp_path, data, encoding)
    line = one_line(caught.value)
    assert line.startswith(str(tmp_path / "w.csv")) and says in line, line


def test_a_lone_surrogate_that_reaches_copy_is_one_line(session: Session) -> None:
    """Decoding stops it in a CSV; a value from elsewhere (a SQL source's driver) could still carry one."""
    table = staging.create_staging(session, uuid.uuid4(), "warehouses", TARGET)
    frame = pd.DataFrame({"code": ["W1", "W2"], "name": ["ok", "bad \ud800"], "province": None, "city": None,
                          "legacy_key": ["W1", "W2"], "row_hash": "h", "_line": [1, 2]})
    with pytest.raises(Exception) as caught, session.begin_nested():
        staging.copy_batch(session, table, frame, TARGET, 1, source="sql")
    assert one_line(caught.value) == "sql row 2 column 'name': is not valid Unicode (a lone surrogate)"


def test_cr_only_line_ends_and_a_10_mb_cell_load_as_written(session: Session, tmp_path: Path) -> None:
    assert stage_csv(session, tmp_path, b"code,name\rW1,a\rW2,b\r") == [("W1", "a"), ("W2", "b")]
    big = "仓" * 3_500_000  # 10.5 MB in UTF-8
    assert stage_csv(session, tmp_path, f"code,name\nW1,{big}\n".encode()) == [("W1", big)]


CELLS = st.one_of(st.binary(max_size=40),
                  st.text(max_size=40).map(lambda t: t.encode("utf-8", errors="surrogatepass")),
                  st.sampled_from([b"\x00", b"\r", b'"', b'"a', b"\xed\xa0\x80", b"\x81", b"a\r\nb", b",,", b"\\N"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cell=CELLS, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]), quoted=st.booleans())
@example(cell=b"\\N", encoding="utf-8", quoted=True)  # COPY's NULL marker as a cell's text stays that text
def test_any_bytes_in_a_cell_load_or_end_in_one_line(session: Session, tmp_path: Path, cell: bytes, encoding: str,
                                                     quoted: bool) -> None:
    written = b'"' + cell.replace(b'"', b'""') + b'"' if quoted else cell
    data = b"code,name\nW1,first\nW2," + written + b"\nW3,last\n"
    try:
        staged = stage_csv(session, tmp_path, data, encoding)
    except Exception as exc:  # what matters is how the CLI would show it
        assert one_line(exc).startswith(str(tmp_path / "w.csv"))
        return
    assert staged[0] == ("W1", "first")
    if quoted:  # the cell cannot break the row apart: it loads as its text
        value = cell.decode(encoding)
        assert staged[1][1] == (value.strip() or None) or staged[1][1] == value
        assert staged[-1] == ("W3", "last")


def test_a_value_too_long_for_the_erp_column_is_one_line_when_its_gate_check_is_off(session: Session) -> None:
    run_id = runs.start_run(session, mapping_name=ref("mapping"), mapping_hash="h", mode="load")
    table = staging.create_staging(session, run_id, "warehouses", TARGET)
    codes = [ref("W"), ref("W")]
    frame = pd.DataFrame({"code": codes, "name": ["杭州仓", "仓" * 201], "province": None, "city": None,
                          "legacy_key": codes, "row_hash": "h", "_line": [2, 3]})
    staging.copy_batch(session, table, frame, TARGET, 1, source="w.csv")
    staging.prepare(session, table, TARGET)
    loader.assign_ids(session, table=table, target=TARGET, entity="warehouses", run_id=run_id)

    with pytest.raises(Exception) as caught:
        loader.upsert_batch(session, table=table, target=TARGET, entity="warehouses", run_id=run_id, batch_no=1,
                            mapped={"code", "name"})

    assert one_line(caught.value).startswith("warehouses row 3 column 'name': value '仓仓仓")
    assert "is longer than 200 characters (ERP column warehouses.name)" in one_line(caught.value)
    assert session.execute(text("SELECT count(*) FROM warehouses WHERE code = ANY(:c)"), {"c": codes}).scalar() == 0
