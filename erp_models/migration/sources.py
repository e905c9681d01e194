"""Where a mapping's legacy rows come from: CSV files (with their encoding) or a SQL query, and the
`${NAME}` / `${NAME:-default}` environment expansion their paths and URLs take."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Encoding = Literal["utf-8", "utf-8-sig", "gbk", "gb18030"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


ENV_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_environment(value: str, example: str = "path") -> str:
    """`${NAME}` and `${NAME:-default}` (default when NAME is unset or empty), as in a shell."""

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = os.environ.get(name)
        if found:
            return found
        if default is None:
            raise ValueError(f"environment variable {name} is not set and has no default "
                             f"(write ${{{name}:-{example}}} to give one)")
        return default

    return ENV_VARIABLE.sub(one, value)


class CsvSource(Strict):
    path: str = Field(description="A glob relative to the mapping file, e.g. 'orders/*.csv'; ${NAME} and "
                                  "${NAME:-default} take environment variables.")
    encoding: Encoding = "utf-8"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    header: bool = True
    columns: list[str] | None = Field(default=None, description="Column names when the file has no header.")

    @field_validator("path")
    @classmethod
    def _expand(cls, value: str) -> str:
        return expand_environment(value)

    @model_validator(mode="after")
    def _named_columns(self) -> CsvSource:
        if not self.header and not self.columns:
            raise ValueError("a CSV without a header needs `columns`")
        return self


class SqlSource(Strict):
    url: str = Field(description="A SQLAlchemy URL; ${NAME} and ${NAME:-default} take environment variables, so "
                                 "no password needs to sit in the mapping file.")
    query: str

    @field_validator("url")
    @classmethod
    def _expand(cls, value: str) -> str:
        return expand_environment(value, example="url")


class Source(Strict):
    csv: CsvSource | None = None
    sql: SqlSource | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Source:
        if (self.csv is None) == (self.sql is None):
            raise ValueError("a source is either `csv` or `sql`")
        return self
