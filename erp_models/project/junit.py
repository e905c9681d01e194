"""A JUnit XML test report (pytest's `--junitxml`) read into counts, a pass rate and the tests that failed.

The standard library's ElementTree reads it: the format is a handful of elements and attributes, and the
reports come from the test runs erpops starts or a QA engineer hands it, not from untrusted parties.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from erp_models.errors import InvalidInput

MESSAGE_LIMIT = 500  # characters of a failure's message kept for the failures table


class JUnitError(InvalidInput):
    """A file that is not a readable JUnit XML report; the message is one line naming it."""


@dataclass(frozen=True)
class FailedTest:
    """One test that failed or errored: its id (pytest's node id when the report names the file) and why."""

    test_id: str
    message: str


@dataclass(frozen=True)
class JUnitReport:
    """Totals of one report; `failed` counts failed assertions, `errors` tests that broke in setup or collection."""

    passed: int
    failed: int
    errors: int
    skipped: int
    total: int
    duration_s: float
    failures: list[FailedTest] = field(default_factory=list)

    @property
    def ran(self) -> int:
        return self.passed + self.failed + self.errors

    @property
    def pass_rate(self) -> float:
        """passed ÷ (passed + failed + errors): skipped tests do not count; 0 when no test ran."""
        return self.passed / self.ran if self.ran else 0.0

    def evidence(self, suite: str) -> dict[str, float]:
        """The values milestone gates read, as `tests.<suite>.<measure>`."""
        measures = {"pass_rate": self.pass_rate, "passed": self.passed, "failed": self.failed, "errors": self.errors,
                    "skipped": self.skipped, "total": self.total, "duration_s": round(self.duration_s, 3)}
        return {f"tests.{suite}.{name}": float(value) for name, value in measures.items()}


def read_junit(path: Path) -> JUnitReport:
    """The report in `path`; JUnitError (one line) when it is missing or not JUnit XML."""
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise JUnitError(f"{path}: report not found") from None
    except (OSError, ET.ParseError) as exc:
        raise JUnitError(f"{path}: not a JUnit XML report ({exc})") from None
    return junit_report(root, str(path))


def junit_report(root: ET.Element, where: str) -> JUnitReport:
    """Totals from the <testsuite> attributes (what pytest counted), failures from its <testcase> elements."""
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if root.tag not in ("testsuite", "testsuites") or not suites:
        raise JUnitError(f"{where}: holds no <testsuite>")
    try:
        total, failed, errors, skipped = (sum(int(s.get(name) or 0) for s in suites)
                                          for name in ("tests", "failures", "errors", "skipped"))
        duration = sum(float(s.get("time") or 0) for s in suites)
    except ValueError as exc:
        raise JUnitError(f"{where}: a <testsuite> count is not a number ({exc})") from None
    failures = [FailedTest(test_id=node_id(case), message=_message(problem))
                for suite in suites for case in suite.iter("testcase")
                for problem in case if problem.tag in ("failure", "error")]
    return JUnitReport(passed=max(total - failed - errors - skipped, 0), failed=failed, errors=errors,
                       skipped=skipped, total=total, duration_s=duration, failures=failures)


def node_id(case: ET.Element) -> str:
    """pytest's node id (`path/test_x.py::TestClass::test_y`) when the report names the file, else class::name."""
    name, classname, file = case.get("name", ""), case.get("classname", ""), case.get("file")
    if file:
        module = file.removesuffix(".py").replace("/", ".").replace("\\", ".")
        inner = classname[len(module):].strip(".") if classname.startswith(module) else ""
        return "::".join(part for part in (file, inner.replace(".", "::"), name) if part)
    return "::".join(part for part in (classname, name) if part)


def _message(problem: ET.Element) -> str:
    """The first line of what went wrong: the element's message, else its text (a traceback's last line)."""
    text = (problem.get("message") or "").strip()
    if not text:
        lines = [line.strip() for line in (problem.text or "").splitlines() if line.strip()]
        text = lines[-1] if lines else problem.tag
    first = text.splitlines()[0]
    return first if len(first) <= MESSAGE_LIMIT else first[:MESSAGE_LIMIT - 1] + "…"
