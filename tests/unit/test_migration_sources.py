"""Bad legacy files end in one line naming the file, the row and, where there is one, the column."""

from __future__ import annotations

from pathlib import Path

import pytest

from erp_models.migration.mapping import Entity
from erp_models.migration.service.extract import SourceError, batches


def entity(path: str, encoding: str = "utf-8") -> Entity:
    return Entity.model_validate({
        "target": "suppliers", "legacy_key": "{编号}",
        "source": {"csv": {"path": path, "encoding": encoding}},
        "columns": {"code": {"from": "编号"}, "name": {"from": "名称"}},
    })


def read_all(tmp_path: Path, name: str, content: bytes, encoding: str = "utf-8") -> int:
    (tmp_path / name).write_bytes(content)
    return sum(len(b.frame) for b in batches(entity(name, encoding), tmp_path, batch_size=2))


GOOD = "编号,名称\nS1,义乌市恒达日用品有限公司\nS2,杭州丝绸之路贸易有限公司\nS3,广州白云皮具厂\n"


def test_a_good_file_streams_in_batches(tmp_path: Path) -> None:
    assert read_all(tmp_path, "ok.csv", GOOD.encode()) == 3


def test_gbk_is_read_when_declared(tmp_path: Path) -> None:
    assert read_all(tmp_path, "gbk.csv", GOOD.encode("gbk"), encoding="gbk") == 3


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope\*\.csv: no file matches"):
        next(iter(batches(entity("nope*.csv"), tmp_path, batch_size=2)))


def test_the_wrong_encoding_names_the_row(tmp_path: Path) -> None:
    content = "编号,名称\nS1,ok\n".encode() + "S2,义乌市恒达\n".encode("gbk")
    with pytest.raises(SourceError) as caught:
        read_all(tmp_path, "mixed.csv", content)
    assert str(caught.value).startswith(f"{tmp_path / 'mixed.csv'} row 3: byte 0x")
    assert "is not valid utf-8" in str(caught.value)


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"cols.csv row 1 column '名称': missing \(columns: 编号, 名字\)"):
        read_all(tmp_path, "cols.csv", "编号,名字\nS1,x\n".encode())


@pytest.mark.parametrize(("content", "problem"), [(b"", "the file is empty"),
                                                  ("编号,名称\n".encode(), "has a header but no rows")])
def test_an_empty_file(tmp_path: Path, content: bytes, problem: str) -> None:
    with pytest.raises(SourceError, match=problem):
        read_all(tmp_path, "empty.csv", content)


def test_broken_quoting_names_the_row(tmp_path: Path) -> None:
    content = '编号,名称\nS1,"ok"\nS2,"never closed\nS3,x\n'.encode()
    with pytest.raises(SourceError, match=r"quote.csv: row 3: broken CSV quoting"):  # the line the quote opens
        read_all(tmp_path, "quote.csv", content)


def test_a_first_row_with_more_fields_than_the_header_is_refused(tmp_path: Path) -> None:
    content = "编号,名称\nS1,杯子,多出来的\nS2,碗\n".encode()
    with pytest.raises(SourceError, match=r"extra.csv row 2: malformed CSV \(more fields than the header names\)"):
        read_all(tmp_path, "extra.csv", content)
