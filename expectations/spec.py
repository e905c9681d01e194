"""Declarative expectation specs: a GX expectation, its stable reason code and its default severity.

Specs are plain data so that naming, listing and severity checks need no GX import (it takes seconds);
``expectations.runtime`` turns them into ``gx.expectations.*`` objects when a batch is first validated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from erp_models.migration.gate_result import Severity as Severity  # the domain's type of a verdict

SEVERITIES: tuple[Severity, ...] = ("block", "warn")

KEY = "<key_column>"  # placeholder column: run_gate(key_column=...) fills it in

INT32_MAX = 2**31 - 1  # ERP quantities, line numbers, grams and days are INTEGER
# Money is BIGINT minor units. GX declares bounds as float, so 2**63 - 1 would become 2.0**63 and let 2**63
# through; this is the largest float below 2**63, and exact.
INT64_MAX = 2**63 - 1024

# Patterns run through pandas ``str.contains`` (re.search), hence the anchors. ``\Z`` rather than ``$``,
# which also matches before a trailing newline; ``[0-9]`` rather than ``\d``, which matches full-width digits.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}\Z"
CURRENCY_PATTERN = r"^[A-Z]{3}\Z"
MOBILE_PATTERN = r"^1[3-9][0-9]{9}\Z"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z"
GTIN_PATTERN = r"^(?:[0-9]{8}|[0-9]{12,14})\Z"
INJECTION_PATTERN = r"(?i)(?:<script|;\s*drop\s+table|'\s*or\s+'1'\s*=\s*'1|union\s+select)"


@dataclass(frozen=True)
class ExpectationSpec:
    """One check of a suite. ``expectation`` is the GX type, e.g. ``expect_column_values_to_not_be_null``."""

    name: str
    expectation: str
    column: str | None
    kwargs: Mapping[str, Any] = field(hash=False)
    severity: Severity = "block"

    @property
    def class_name(self) -> str:
        """The ``gx.expectations`` class: expect_column_values_to_be_unique -> ExpectColumnValuesToBeUnique."""
        return "".join(part.capitalize() for part in self.expectation.split("_"))

    def column_in(self, key_column: str) -> str | None:
        """The column this check reports on, with the key-column placeholder filled in."""
        return key_column if self.column == KEY else self.column

    def columns_in(self, key_column: str) -> list[str]:
        """Every column the check reads."""
        kwargs = self.gx_kwargs(key_column)
        return [*(kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs), *kwargs.get("column_list", ())]

    def gx_kwargs(self, key_column: str) -> dict[str, Any]:
        """Keyword arguments for the GX class, with the key-column placeholder filled in."""
        return {k: _fill_key(v, key_column) for k, v in self.kwargs.items()}


def _fill_key(value: Any, key_column: str) -> Any:
    if value == KEY:
        return key_column
    if isinstance(value, list) and KEY in value:
        return [key_column if v == KEY else v for v in value]
    return value


def _column(name: str, expectation: str, column: str, severity: Severity = "block", **kwargs: Any) -> ExpectationSpec:
    return ExpectationSpec(name, f"expect_column_{expectation}", column, {"column": column, **kwargs}, severity)


def not_null(column: str) -> ExpectationSpec:
    return _column(f"{column}_not_null", "values_to_not_be_null", column)


def code_format(column: str) -> ExpectationSpec:
    """An ASCII code of 1-64 characters: letters, digits and ``_ . : / -``, starting with a letter or digit."""
    return _column(f"{column}_format", "values_to_match_regex", column, regex=CODE_PATTERN)


def max_length(column: str, limit: int) -> ExpectationSpec:
    return _column(f"{column}_max_length", "value_lengths_to_be_between", column, min_value=0, max_value=limit)


def no_injection(column: str) -> ExpectationSpec:
    return _column(f"no_injection_{column}", "values_to_not_match_regex", column, regex=INJECTION_PATTERN)


def allowed(column: str, values: Iterable[str]) -> ExpectationSpec:
    return _column(f"{column}_allowed", "values_to_be_in_set", column, value_set=sorted(str(v) for v in values))


def matches(name: str, column: str, pattern: str, severity: Severity = "block") -> ExpectationSpec:
    return _column(name, "values_to_match_regex", column, severity, regex=pattern)


def between(name: str, column: str, low: int, high: int, severity: Severity = "block") -> ExpectationSpec:
    return _column(name, "values_to_be_between", column, severity, min_value=low, max_value=high)


def positive(column: str, high: int = INT32_MAX) -> ExpectationSpec:
    return between(f"{column}_positive", column, 1, high)


def nonnegative(column: str, high: int = INT32_MAX) -> ExpectationSpec:
    return between(f"{column}_nonnegative", column, 0, high)


def unique(column: str, name: str | None = None) -> ExpectationSpec:
    return _column(name or f"{column}_unique", "values_to_be_unique", column)


def unique_together(name: str, *columns: str) -> ExpectationSpec:
    return ExpectationSpec(name, "expect_compound_columns_to_be_unique", None, {"column_list": list(columns)})


def at_least(name: str, column_a: str, column_b: str) -> ExpectationSpec:
    """``column_a >= column_b`` row by row, skipping rows where either is missing; reported on ``column_b``."""
    kwargs = {"column_A": column_a, "column_B": column_b, "or_equal": True, "ignore_row_if": "either_value_is_missing"}
    return ExpectationSpec(name, "expect_column_pair_values_a_to_be_greater_than_b", column_b, kwargs)


def required_code(column: str) -> tuple[ExpectationSpec, ...]:
    return not_null(column), code_format(column)


def optional_code(column: str) -> tuple[ExpectationSpec, ...]:
    return (code_format(column),)


def text(column: str, limit: int | None, *, required: bool = False) -> tuple[ExpectationSpec, ...]:
    """Free text: not null when required, at most ``limit`` characters, no injection strings."""
    checks = [not_null(column)] if required else []
    if limit is not None:
        checks.append(max_length(column, limit))
    return (*checks, no_injection(column))


def legacy_key() -> tuple[ExpectationSpec, ...]:
    """Every batch carries the legacy key (String(200) in the key map), once per row."""
    column = KEY
    return (
        ExpectationSpec("legacy_key_not_null", "expect_column_values_to_not_be_null", column, {"column": column}),
        ExpectationSpec("legacy_key_unique", "expect_column_values_to_be_unique", column, {"column": column}),
        ExpectationSpec("legacy_key_max_length", "expect_column_value_lengths_to_be_between", column,
                        {"column": column, "min_value": 0, "max_value": 200}),
    )
