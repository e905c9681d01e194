"""Streaming legacy rows from CSV files (utf-8, utf-8-sig, gbk, gb18030) or a SQL query, batch by batch.

Every defect of the input becomes one `SourceError` line that names the file, the row and, where there
is one, the column: a missing file, an undecodable byte, a missing column, an empty file, broken quoting.
"""

from __future__ import annotations

import glob
import re
import warnings
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from erp_models.migration.mapping import Entity
from erp_models.migration.sources import CsvSource, SqlSource


class SourceError(ValueError):
    """Input that cannot be read as declared; the message is one line."""


@dataclass(frozen=True)
class RawBatch:
    file: str
    frame: pd.DataFrame  # all values str or None, plus `_line`: the 1-based line in the file
    unread: int = 0  # rows of a delta's batch that were not parsed (all at or below the watermark): `frame` is empty

    @property
    def rows(self) -> int:
        return len(self.frame) + self.unread


@dataclass(frozen=True)
class Unread:
    """A delta's leading batches of a file that are not parsed (see `delta_scan`): the rows of each, and the
    byte offset where the rows after them begin."""

    batches: list[int]
    offset: int


def source_columns(entity: Entity) -> set[str]:
    """Source columns the mapping reads: `from`, templates, counters, reject rules, watermark."""
    names = {c.from_ for c in entity.columns.values() if c.from_}
    names |= {n for c in entity.columns.values() for n in c.sequence_within or []}
    for total in [c.running_total for c in entity.columns.values() if c.running_total]:
        names |= {*total.within, total.quantity, total.price}
    fields = set(entity.columns)
    for template in [entity.legacy_key, *[c.template for c in entity.columns.values() if c.template]]:
        names |= {p for p in re.findall(r"\{([^{}]+)\}", template) if p not in fields}
    names |= {r.column for r in entity.reject}
    names |= {c.related.key for c in entity.columns.values() if c.related and c.related.key not in fields}
    if entity.watermark_column:
        names.add(entity.watermark_column)
    return names


def source_files(source: CsvSource, base: Path) -> list[Path]:
    pattern = source.path if Path(source.path).is_absolute() else str(base / source.path)
    files = sorted(Path(p) for p in glob.glob(pattern))
    if not files:
        raise SourceError(f"{pattern}: no file matches")
    return files


def _undecodable(path: Path, encoding: str) -> SourceError:
    """Find the first line that does not decode (the parser's offsets are relative to its buffer)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as exc:
                return SourceError(f"{path} row {number}: byte 0x{line[exc.start]:02x} at position {exc.start + 1} "
                                   f"is not valid {encoding}; is the file encoded differently?")
    return SourceError(f"{path}: not valid {encoding}")


def check_csv(path: Path, source: CsvSource, needed: set[str]) -> list[str]:
    """Read the header (and fail early on an empty file or a missing column); returns the columns."""
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty")
    try:
        with warnings.catch_warnings():  # more fields than the header in the first row: pandas drops them
            warnings.filterwarnings("error", "Length of header or names does not match", pd.errors.ParserWarning)
            head = pd.read_csv(path, encoding=source.encoding, sep=source.delimiter, dtype=str, nrows=1,
                               header=0 if source.header else None, names=source.columns, keep_default_na=False,
                               index_col=False)
    except pd.errors.ParserWarning:
        raise SourceError(f"{path} row {2 if source.header else 1}: malformed CSV (more fields than the "
                          f"{'header' if source.header else 'declared columns'} names)") from None
    except UnicodeDecodeError:
        raise _undecodable(path, source.encoding) from None
    except pd.errors.EmptyDataError:
        raise SourceError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as exc:
        raise SourceError(f"{path}: {_parser_problem(exc)}") from None
    columns = [str(c) for c in head.columns]
    missing = sorted(needed - set(columns))
    if missing:
        raise SourceError(f"{path} row 1 column {missing[0]!r}: missing (columns: {', '.join(columns)})")
    if head.empty:
        raise SourceError(f"{path}: the file has a header but no rows")
    return columns


def _parser_problem(exc: Exception) -> str:
    message = str(exc).strip().splitlines()[-1]
    row = re.search(r"(?:row|line) (\d+)", message)
    if "EOF inside string" in message or "EOF inside" in message:  # pandas counts these rows from 0
        return f"row {int(row.group(1)) + 1 if row else '?'}: broken CSV quoting (a quoted field never ends)"
    if row:
        return f"row {row.group(1)}: malformed CSV ({message})"
    return f"malformed CSV ({message})"


def read_csv_batches(path: Path, source: CsvSource, columns: list[str], batch_size: int,
                     unread: Unread | None = None) -> Iterator[RawBatch]:
    """The file's batches; with `unread`, its leading batches come empty (counted in `RawBatch.unread`) and
    parsing starts at the byte after them."""
    first_line = 2 if source.header else 1
    for rows in unread.batches if unread is not None else []:
        yield RawBatch(str(path), _no_rows(columns), unread=rows)
        first_line += rows
    try:
        with ExitStack() as stack:
            start: Path | BinaryIO = path
            if unread is not None:
                start = stack.enter_context(path.open("rb"))
                start.seek(unread.offset)
            reader = pd.read_csv(start, encoding=source.encoding, sep=source.delimiter, dtype=str,
                                 chunksize=batch_size, header=0 if source.header and unread is None else None,
                                 names=source.columns if unread is None else columns, keep_default_na=False,
                                 na_filter=False, engine="c", index_col=False)
            for chunk in reader:
                chunk.columns = columns
                chunk["_line"] = range(first_line, first_line + len(chunk))
                first_line += len(chunk)
                yield RawBatch(str(path), chunk)
    except pd.errors.EmptyDataError:
        if unread is None:
            raise
    except UnicodeDecodeError:
        raise _undecodable(path, source.encoding) from None
    except pd.errors.ParserError as exc:
        if unread is not None:  # worded as reading the whole file words it (its rows count from the start)
            for _ in read_csv_batches(path, source, columns, batch_size):
                pass
        raise SourceError(f"{path}: {_parser_problem(exc)}") from None


def _no_rows(columns: list[str]) -> pd.DataFrame:
    """No rows, typed as parsed ones are."""
    return pd.DataFrame({**{c: pd.Series(dtype="str") for c in columns}, "_line": pd.Series(dtype="int64")})


def read_sql_batches(source: SqlSource, batch_size: int) -> Iterator[RawBatch]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = create_engine(source.url)
        with engine.connect() as conn:
            line = 1
            for chunk in pd.read_sql(text(source.query), conn, chunksize=batch_size, dtype=str):
                chunk = chunk.astype("string").astype(object).where(chunk.notna(), None)
                chunk["_line"] = range(line, line + len(chunk))
                line += len(chunk)
                yield RawBatch("sql", chunk)
    except (SQLAlchemyError, pd.errors.DatabaseError, ModuleNotFoundError) as exc:
        raise SourceError(f"sql source: {str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}") from None


def batches(entity: Entity, base: Path, batch_size: int, unread: dict[str, Unread] | None = None, *,
            needed: set[str] | None = None) -> Iterator[RawBatch]:
    """Every batch of the entity's source, in order; `unread`: per CSV file, a delta's leading batches that
    are not parsed (see `delta_scan`); `needed`: the columns it must have (default: those the entity reads)."""
    needed = source_columns(entity) if needed is None else needed
    if entity.source.sql is not None:
        for batch in read_sql_batches(entity.source.sql, batch_size):
            missing = sorted(needed - set(batch.frame.columns))
            if missing:
                raise SourceError(f"sql source column {missing[0]!r}: missing from the query's result "
                                  f"(columns: {', '.join(c for c in batch.frame.columns if c != '_line')})")
            yield batch
        return
    source = entity.source.csv
    assert source is not None
    for path in source_files(source, base):
        columns = check_csv(path, source, needed)
        yield from read_csv_batches(path, source, columns, batch_size, (unread or {}).get(str(path)))
