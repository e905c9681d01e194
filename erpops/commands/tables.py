"""Printing rich tables so that no character is lost: every column folds long values onto further lines instead of
cutting them with an ellipsis, at any width (a pipe or CI log is 80 columns to rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def print_table(console: Console, table: Table) -> None:
    """Print `table` with every column folding (wrapping) what does not fit, never truncating it."""
    for column in table.columns:
        column.overflow = "fold"
        column.no_wrap = False
    console.print(table)
