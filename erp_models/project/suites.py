"""Test suites the test phase runs: the built-in pytest tiers, a plan's own suites, and how a run is judged."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from erp_models.errors import InvalidInput
from erp_models.project.junit import JUnitReport

SuiteName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
# pytest's exit codes (pytest.ExitCode), as a user reads them
PYTEST_EXITS = {1: "tests failed", 2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests collected"}
NO_TESTS_COLLECTED = 5


class SuiteError(InvalidInput):
    """A suite nobody defined, or one that cannot run here; one line."""


class SuiteSpec(BaseModel):
    """One pytest suite: its name in the evidence keys (`tests.<name>.pass_rate`) and how to run it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: SuiteName
    args: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1, description="pytest's arguments: test paths, -k, -m, -x ...")
    cwd: str | None = Field(default=None, description="Where pytest runs; a relative path is relative to the "
                                                      "plan file's folder (default: the erpops checkout)")
    timeout_s: int = Field(default=1800, gt=0, le=86_400, description="Stop the suite after this many seconds")

    @field_validator("args")
    @classmethod
    def _no_report_option(cls, args: list[str]) -> list[str]:
        if any(a.startswith(("--junitxml", "--junit-xml", "--junit-prefix")) for a in args):
            raise ValueError("args must not set --junitxml: erpops writes the JUnit report itself")
        return args


BUILT_IN_SUITES: dict[str, SuiteSpec] = {
    "unit": SuiteSpec(name="unit", args=["tests/unit"]),
    "integration": SuiteSpec(name="integration", args=["tests/integration"]),
    "e2e": SuiteSpec(name="e2e", args=["tests/e2e"], timeout_s=3600),
}
DEFAULT_SUITES = ("unit", "integration")


def choose_suites(names: list[str], plan_suites: list[SuiteSpec]) -> list[SuiteSpec]:
    """The suites to run, in the order named (once each); a plan's suite replaces a built-in of its name."""
    known = BUILT_IN_SUITES | {s.name: s for s in plan_suites}
    chosen: dict[str, SuiteSpec] = {}
    for name in names or DEFAULT_SUITES:
        if name not in known:
            own = f"; the plan names {', '.join(s.name for s in plan_suites)}" if plan_suites else ""
            raise SuiteError(f"unknown test suite {name!r}: the built-in suites are {', '.join(BUILT_IN_SUITES)}"
                             f"{own} (a plan file's test_suites section names others)")
        chosen.setdefault(name, known[name])
    return list(chosen.values())


def evidence_scope(suite: str) -> str:
    """The scope of a suite's evidence: gates read every value of the newest run of that suite together."""
    return f"tests/{suite}"


class SuiteStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class PytestExit:
    """How the pytest process ended: its exit code, or None when erpops stopped it at its timeout."""

    code: int | None
    timeout_s: int
    last_line: str = ""  # the last line pytest printed, for a failure without a report


def judge_suite(report: JUnitReport | None, ended: PytestExit) -> tuple[SuiteStatus, str]:
    """Passed only when pytest exited 0 and at least one test ran, none failing; else failed, and why."""
    failed = SuiteStatus.FAILED
    if ended.code is None:
        return failed, f"timed out after {ended.timeout_s} s"
    if ended.code == NO_TESTS_COLLECTED:
        return failed, "no tests collected"
    exited = f"pytest exited with code {ended.code} ({PYTEST_EXITS.get(ended.code, 'unknown exit code')})"
    if report is None:
        return failed, f"{exited} without a report: {ended.last_line}"
    if report.failed or report.errors:
        errors = f" ({report.errors} with {'an error' if report.errors == 1 else 'errors'})" if report.errors else ""
        return failed, f"{report.failed + report.errors} of {report.ran} tests failed{errors}"
    if ended.code != 0:
        return failed, f"{exited}: {ended.last_line}"
    if report.total == 0:
        return failed, "no tests collected"
    if report.ran == 0:
        return failed, f"no test ran ({report.skipped} skipped)"
    skipped = f", {report.skipped} skipped" if report.skipped else ""
    return SuiteStatus.PASSED, f"{report.passed} passed{skipped}"
