"""Running one pytest suite in a subprocess, bounded by its timeout, and reading the JUnit report it wrote.

pytest runs in its own process (and process group), never inside the flow's: a suite may start servers, patch
modules or hang, and the flow must still record what happened and stop it at the timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from prefect import task
from pydantic import BaseModel, Field

from erp_models.project.junit import JUnitError, JUnitReport, read_junit
from erp_models.project.suites import PytestExit, SuiteSpec, SuiteStatus, judge_suite
from tasks.suites.choose import resolve_suites

STOP_GRACE_S = 10  # after SIGTERM at the timeout, how long pytest gets to clean up before SIGKILL


class FailureRow(BaseModel):
    test_id: str
    message: str


class SuiteOutcome(BaseModel):
    """One suite's run: the verdict and why, pytest's counts, and where its report and output are."""

    name: str
    status: SuiteStatus
    reason: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    total: int = 0
    pass_rate: float = 0.0
    duration_s: float = 0.0
    exit_code: int | None = None
    junit_xml: str | None = None
    log: str
    failures: list[FailureRow] = Field(default_factory=list)

    def report(self) -> JUnitReport:
        """The counts as a JUnit report (no report read gives zeros: a pass rate of 0)."""
        return JUnitReport(passed=self.passed, failed=self.failed, errors=self.errors, skipped=self.skipped,
                           total=self.total, duration_s=self.duration_s)


def pytest_command(spec: SuiteSpec, junit_xml: Path) -> list[str]:
    """pytest with this interpreter; xunit1 reports name each test's file, so failures carry pytest's node ids."""
    return [sys.executable, "-m", "pytest", *spec.args, f"--junitxml={junit_xml}", "-o", "junit_family=xunit1"]


@task
def choose_suites_to_run(names: list[str], plan_file: str | None, timeout_s: int | None) -> list[SuiteSpec]:
    """The named suites, each with its folder and timeout; the plan file (if any) names its own."""
    return resolve_suites(names, plan_file, timeout_s)


@task(task_run_name="pytest {spec.name}")
def run_suite(spec: SuiteSpec, run_dir: str) -> SuiteOutcome:
    """Run the suite with its output in `<run_dir>/<name>.log`, its report in `<name>.xml`, and judge it."""
    folder = Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    xml, log = folder / f"{spec.name}.xml", folder / f"{spec.name}.log"
    xml.unlink(missing_ok=True)  # a report left from before must not pass for this run's
    code = run_pytest(pytest_command(spec, xml), Path(spec.cwd or "."), log, spec.timeout_s)
    try:
        report: JUnitReport | None = read_junit(xml)
    except JUnitError:
        report = None  # pytest died before writing it (or wrote half of it): judged as such
    status, reason = judge_suite(report, PytestExit(code=code, timeout_s=spec.timeout_s, last_line=last_line(log)))
    print(f"suite {spec.name}: {status} ({reason}); output in {log}")
    outcome = SuiteOutcome(name=spec.name, status=status, reason=reason, exit_code=code, log=str(log))
    if report is None:
        return outcome
    return outcome.model_copy(update={
        "passed": report.passed, "failed": report.failed, "errors": report.errors, "skipped": report.skipped,
        "total": report.total, "pass_rate": report.pass_rate, "duration_s": round(report.duration_s, 3),
        "junit_xml": str(xml), "failures": [FailureRow(test_id=f.test_id, message=f.message) for f in report.failures]})


def run_pytest(command: list[str], cwd: Path, log: Path, timeout_s: int) -> int | None:
    """pytest's exit code, or None when it was stopped at the timeout; its output goes to `log`."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, env=os.environ | {"PYTHONUNBUFFERED": "1"})
        try:
            return process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            stop(process)
            return None
        except BaseException:  # interrupted: never leave a suite running behind the user's back
            stop(process)
            raise


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the suite's whole process group (servers it started too), then SIGKILL after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue


def last_line(log: Path) -> str:
    """The last line pytest printed (its summary, or the reason it stopped)."""
    try:
        with log.open("rb") as f:
            f.seek(max(f.seek(0, os.SEEK_END) - 4096, 0))
            lines = [line.strip() for line in f.read().decode("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""
