"""A suite run in its own process: the sample suite's report read back, and a hung suite stopped at its timeout."""

from __future__ import annotations

import sys
from pathlib import Path

from prefect.logging import disable_run_logger

from erp_models.project.suites import SuiteSpec, SuiteStatus
from tasks.suites.run import FailureRow, run_pytest, run_suite

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample_suite"


def test_the_sample_suite_is_read_from_its_junit_report(tmp_path: Path) -> None:
    spec = SuiteSpec(name="sample", args=["check_sample.py"], cwd=str(SAMPLE), timeout_s=120)
    with disable_run_logger():
        outcome = run_suite.fn(spec, str(tmp_path))
    assert (outcome.status, outcome.reason, outcome.exit_code) == (SuiteStatus.FAILED, "1 of 2 tests failed", 1)
    assert (outcome.passed, outcome.failed, outcome.errors, outcome.skipped, outcome.total) == (1, 1, 0, 1, 3)
    assert outcome.pass_rate == 0.5
    assert outcome.failures == [FailureRow(test_id="check_sample.py::test_fails",
                                           message="AssertionError: reserved stock is not on hand")]
    assert outcome.junit_xml == str(tmp_path / "sample.xml") and Path(outcome.junit_xml).is_file()
    assert "1 failed, 1 passed, 1 skipped" in (tmp_path / "sample.log").read_text(encoding="utf-8")


def test_a_suite_that_selects_nothing_fails_as_no_tests_collected(tmp_path: Path) -> None:
    spec = SuiteSpec(name="empty", args=["check_sample.py", "-k", "no_such_test"], cwd=str(SAMPLE), timeout_s=120)
    with disable_run_logger():
        outcome = run_suite.fn(spec, str(tmp_path))
    assert (outcome.status, outcome.reason, outcome.exit_code, outcome.pass_rate) == (
        SuiteStatus.FAILED, "no tests collected", 5, 0.0)


def test_a_suite_that_hangs_is_stopped_at_its_timeout(tmp_path: Path) -> None:
    log = tmp_path / "hung.log"
    code = run_pytest([sys.executable, "-c", "import time; print('waiting', flush=True); time.sleep(120)"],
                      tmp_path, log, timeout_s=1)
    assert code is None
    assert log.read_text(encoding="utf-8").strip() == "waiting"
