"""Which suites `erpops test run` runs, how a plan names its own, and when a suite counts as passed."""

from __future__ import annotations

from pathlib import Path

import pytest

from erp_models.project.junit import JUnitReport
from erp_models.project.spec import PlanError, load_plan
from erp_models.project.suites import PytestExit, SuiteError, SuiteSpec, SuiteStatus, choose_suites, judge_suite
from tasks.suites.choose import erpops_checkout, resolve_suites

EXAMPLE_PLAN = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"


def plan_with(tmp_path: Path, section: str) -> Path:
    plan = tmp_path / "plan.yaml"
    plan.write_text(EXAMPLE_PLAN.read_text(encoding="utf-8") + "\n" + section, encoding="utf-8")
    return plan


def report(passed: int = 0, failed: int = 0, errors: int = 0, skipped: int = 0) -> JUnitReport:
    return JUnitReport(passed=passed, failed=failed, errors=errors, skipped=skipped,
                       total=passed + failed + errors + skipped, duration_s=1.0)


def test_without_names_the_unit_and_integration_tiers_run() -> None:
    assert [s.name for s in choose_suites([], [])] == ["unit", "integration"]
    assert choose_suites(["e2e"], [])[0].args == ["tests/e2e"]


def test_a_plan_suite_is_chosen_by_name_and_replaces_a_built_in_of_the_same_name() -> None:
    smoke = SuiteSpec(name="smoke", args=["tests/unit", "-k", "order"])
    mine = SuiteSpec(name="integration", args=["tests/integration", "-m", "not slow"])
    chosen = choose_suites(["smoke", "integration", "smoke"], [smoke, mine])
    assert chosen == [smoke, mine]


def test_an_unknown_suite_is_one_line_naming_the_known_ones() -> None:
    with pytest.raises(SuiteError) as caught:
        choose_suites(["unti"], [SuiteSpec(name="smoke", args=["x"])])
    assert caught.value.message == ("unknown test suite 'unti': the built-in suites are unit, integration, e2e; "
                                    "the plan names smoke (a plan file's test_suites section names others)")


def test_built_in_suites_run_in_the_erpops_checkout() -> None:
    [unit] = resolve_suites(["unit"], timeout_s=60)
    assert (unit.cwd, unit.timeout_s) == (str(erpops_checkout()), 60)
    assert (erpops_checkout() / "tests" / "unit").is_dir()


def test_a_plan_suite_runs_in_its_cwd_relative_to_the_plan_file(tmp_path: Path) -> None:
    (tmp_path / "qa").mkdir()
    plan = plan_with(tmp_path, "test_suites:\n  - {name: smoke, args: [check_smoke.py], cwd: qa, timeout_s: 30}\n")
    [smoke] = resolve_suites(["smoke"], str(plan))
    assert (smoke.cwd, smoke.args, smoke.timeout_s) == (str(tmp_path / "qa"), ["check_smoke.py"], 30)


def test_a_plan_suite_whose_folder_is_missing_cannot_run(tmp_path: Path) -> None:
    plan = plan_with(tmp_path, "test_suites:\n  - {name: smoke, args: [x.py], cwd: nowhere}\n")
    with pytest.raises(SuiteError, match=r"test suite smoke: its cwd .*nowhere is not a folder"):
        resolve_suites(["smoke"], str(plan))


@pytest.mark.parametrize(("section", "says"), [
    ("test_suites:\n  - {name: smoke, args: []}\n", "test_suites.0.args: List should have at least 1 item"),
    ("test_suites:\n  - {name: Smoke Test, args: [x]}\n", "test_suites.0.name: String should match pattern"),
    ("test_suites:\n  - {name: smoke, args: [x, --junitxml=r.xml]}\n",
     "test_suites.0.args: args must not set --junitxml: erpops writes the JUnit report itself"),
    ("test_suites:\n  - {name: smoke, args: [x], timeout: 5}\n", "test_suites.0.timeout: Extra inputs"),
    ("test_suites:\n  - {name: smoke, args: [x]}\n  - {name: smoke, args: [y]}\n",
     "test_suites: test suite smoke is listed twice"),
])
def test_a_malformed_test_suite_is_refused_when_the_plan_is_loaded_naming_the_place(tmp_path: Path, section: str,
                                                                                     says: str) -> None:
    plan = plan_with(tmp_path, section)
    with pytest.raises(PlanError) as caught:
        load_plan(plan)
    assert str(caught.value).startswith(f"{plan}: {says}")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("found", "ended", "verdict"), [
    (report(passed=3, skipped=1), PytestExit(0, 60), (SuiteStatus.PASSED, "3 passed, 1 skipped")),
    (report(passed=2, failed=1, errors=1), PytestExit(1, 60),
     (SuiteStatus.FAILED, "2 of 4 tests failed (1 with an error)")),
    (report(passed=2, failed=1), PytestExit(1, 60), (SuiteStatus.FAILED, "1 of 3 tests failed")),
    (report(), PytestExit(5, 60), (SuiteStatus.FAILED, "no tests collected")),
    (report(skipped=4), PytestExit(0, 60), (SuiteStatus.FAILED, "no test ran (4 skipped)")),
    (report(passed=1), PytestExit(None, 60), (SuiteStatus.FAILED, "timed out after 60 s")),
    (None, PytestExit(4, 60, "ERROR: file or directory not found: tests/nope"),
     (SuiteStatus.FAILED, "pytest exited with code 4 (usage error) without a report: ERROR: file or directory "
                          "not found: tests/nope")),
    (report(passed=5), PytestExit(3, 60, "INTERNALERROR> boom"),
     (SuiteStatus.FAILED, "pytest exited with code 3 (internal error): INTERNALERROR> boom")),
])
def test_a_suite_passes_only_when_pytest_exits_cleanly_after_running_tests(
        found: JUnitReport | None, ended: PytestExit, verdict: tuple[SuiteStatus, str]) -> None:
    assert judge_suite(found, ended) == verdict
