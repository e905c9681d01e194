"""What QA and the PM read of a test-suite run in the Prefect UI: the failures table and each suite's summary."""

from __future__ import annotations

import re
import uuid

from erp_models.project.suites import SuiteStatus
from tasks.suites.run import SuiteOutcome

MAX_FAILURE_ROWS = 500  # a suite that broke wholesale still gives a table the UI can show


def artifact_key(*parts: str) -> str:
    """Prefect's artifact keys are lower case with dashes."""
    return re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")


def failure_rows(suites: list[SuiteOutcome]) -> list[dict[str, str]]:
    """One row per failed or errored test: the suite, pytest's test id and the first line of why."""
    rows = [{"suite": s.name, "test_id": f.test_id, "message": f.message} for s in suites for f in s.failures]
    return rows[:MAX_FAILURE_ROWS]


def suite_markdown(suite: SuiteOutcome, run_id: uuid.UUID) -> str:
    """A suite's verdict, counts and where its report and output are, and its first failures."""
    mark = "passed" if suite.status == SuiteStatus.PASSED else "**FAILED**"
    lines = [f"# Test suite `{suite.name}`: {mark}", "", f"**{suite.reason}**", "",
             f"- run: `{run_id}`",
             f"- pass rate: {suite.pass_rate:.2%} ({suite.passed} of the {suite.report().ran} tests that ran passed; "
             f"{suite.failed} failed, {suite.errors} errors, {suite.skipped} skipped, {suite.total} in all)",
             f"- duration: {suite.duration_s:.1f} s",
             f"- JUnit report: `{suite.junit_xml or 'none written'}`", f"- pytest output: `{suite.log}`"]
    if suite.failures:
        lines += ["", "| test | message |", "|---|---|"]
        lines += [f"| `{f.test_id}` | {_cell(f.message)} |" for f in suite.failures[:20]]
        if len(suite.failures) > 20:
            lines.append(f"\n… and {len(suite.failures) - 20} more in the `test-failures` table")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
