"""CLI tables lose no character in a pipe (80 columns to rich): long values fold onto further lines."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from erpops.commands.tables import print_table

LONG = "".join(f"{n:02x}" for n in range(60)) + "-杭州仓-" + "end"  # 120 hex digits, CJK, and a tail


def cells(output: str, column: int) -> str:
    """One column's text, its folded lines joined."""
    return "".join(line.split("│")[column + 1].strip() for line in output.splitlines() if line.count("│") >= 3)


def test_a_long_value_is_folded_whole_at_80_columns() -> None:
    table = Table("id", "detail")
    table.add_row("1", LONG)
    out = io.StringIO()
    print_table(Console(file=out, width=80, force_terminal=False, color_system=None), table)
    assert max(len(line) for line in out.getvalue().splitlines()) <= 80
    assert cells(out.getvalue(), 1) == LONG

