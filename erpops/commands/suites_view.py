"""What `erpops test run` prints: per suite its verdict and counts, then the tests that failed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from erpops.commands.tables import print_table

if TYPE_CHECKING:
    from flows.test_suites import SuitesOutcome

FAILURES_SHOWN = 10  # per suite; the JSON, the JUnit report and the Prefect table have them all


def print_outcome(outcome: SuitesOutcome) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"test-suites run {outcome.run_id}: {outcome.status}", box=box.SIMPLE_HEAD, pad_edge=False)
    for n, header in enumerate(("suite", "status", "rate", "pass", "fail", "err", "skip", "secs")):
        table.add_column(header, justify="left" if n < 2 else "right", overflow="fold")
    for s in outcome.suites:
        table.add_row(s.name, s.status.value, f"{s.pass_rate:.1%}", str(s.passed), str(s.failed), str(s.errors),
                      str(s.skipped), f"{s.duration_s:.1f}")
    console = Console(highlight=False)
    print_table(console, table)
    for s in outcome.suites:
        console.print(f"{s.name}: {s.status.value}, {s.reason}", soft_wrap=True, markup=False)
        for f in s.failures[:FAILURES_SHOWN]:
            console.print(f"  ✗ {f.test_id}: {f.message}", soft_wrap=True, markup=False)
        if len(s.failures) > FAILURES_SHOWN:
            console.print(f"  … {len(s.failures) - FAILURES_SHOWN} more in {s.junit_xml}", soft_wrap=True,
                          markup=False)
        console.print(f"  report {s.junit_xml or '(none)'}, output {s.log}", soft_wrap=True, markup=False,
                      style="dim")
    console.print(f"evidence: erpops evidence list --prefix tests.  (run {outcome.run_id})", soft_wrap=True,
                  markup=False)
