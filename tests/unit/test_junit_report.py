"""Reading a JUnit XML report: the counts, the pass rate and the failed tests a gate and QA see."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from erp_models.project.junit import MESSAGE_LIMIT, FailedTest, JUnitError, junit_report, read_junit

# What pytest writes with `-o junit_family=xunit1`: one pass, one failure, one skip, one setup error.
PYTEST_REPORT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">
<testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="2.5">
<testcase classname="tests.unit.test_orders.TestOrders" name="test_ok" file="tests/unit/test_orders.py" line="2"/>
<testcase classname="tests.unit.test_orders" name="test_total[2-3]" file="tests/unit/test_orders.py" line="9">
<failure message="AssertionError: total is off&#10;assert 5 == 6">def test_total(): ...</failure></testcase>
<testcase classname="tests.unit.test_orders" name="test_later" file="tests/unit/test_orders.py" line="12">
<skipped type="pytest.skip" message="not today">skipped</skipped></testcase>
<testcase classname="tests.unit.test_orders" name="test_db" file="tests/unit/test_orders.py" line="15">
<error message="failed on setup with &quot;RuntimeError: boom&quot;">trace</error></testcase>
</testsuite></testsuites>"""


def report_of(text: str) -> ET.Element:
    return ET.fromstring(text)


def test_a_pytest_report_gives_counts_where_skips_do_not_count_and_errors_do() -> None:
    report = junit_report(report_of(PYTEST_REPORT), "r.xml")
    assert (report.passed, report.failed, report.errors, report.skipped, report.total) == (1, 1, 1, 1, 4)
    assert report.pass_rate == pytest.approx(1 / 3)
    assert report.duration_s == 2.5


def test_failed_and_errored_tests_are_named_by_pytest_node_id_with_the_first_line_of_why() -> None:
    assert junit_report(report_of(PYTEST_REPORT), "r.xml").failures == [
        FailedTest("tests/unit/test_orders.py::test_total[2-3]", "AssertionError: total is off"),
        FailedTest("tests/unit/test_orders.py::test_db", 'failed on setup with "RuntimeError: boom"'),
    ]


def test_the_evidence_of_a_suite_holds_every_measure_under_its_name() -> None:
    evidence = junit_report(report_of(PYTEST_REPORT), "r.xml").evidence("integration")
    assert evidence == {"tests.integration.pass_rate": pytest.approx(1 / 3), "tests.integration.passed": 1.0,
                        "tests.integration.failed": 1.0, "tests.integration.errors": 1.0,
                        "tests.integration.skipped": 1.0, "tests.integration.total": 4.0,
                        "tests.integration.duration_s": 2.5}


def test_a_report_without_file_names_uses_class_and_name_and_the_traceback_when_there_is_no_message() -> None:
    report = junit_report(report_of(
        '<testsuite tests="2" failures="1"><testcase classname="OrderSpec" name="places"/>'
        '<testcase classname="OrderSpec" name="refuses"><failure>Traceback\n  line\nValueError: no stock'
        "</failure></testcase></testsuite>"), "r.xml")
    assert (report.passed, report.failed, report.pass_rate) == (1, 1, 0.5)
    assert report.failures == [FailedTest("OrderSpec::refuses", "ValueError: no stock")]


def test_a_collection_error_is_a_failure_of_the_module() -> None:
    report = junit_report(report_of(
        '<testsuites><testsuite errors="1" failures="0" skipped="0" tests="1"><testcase classname="" '
        'name="tests.unit.test_broken" time="0"><error message="collection failure">SyntaxError</error>'
        "</testcase></testsuite></testsuites>"), "r.xml")
    assert (report.errors, report.pass_rate) == (1, 0.0)
    assert report.failures == [FailedTest("tests.unit.test_broken", "collection failure")]


def test_long_messages_are_cut_for_the_failures_table() -> None:
    report = junit_report(report_of(f'<testsuite tests="1" failures="1"><testcase name="t"><failure message="'
                                    f'{"x" * 2000}"/></testcase></testsuite>'), "r.xml")
    assert len(report.failures[0].message) == MESSAGE_LIMIT


def test_no_test_that_ran_is_a_pass_rate_of_zero_not_one() -> None:
    report = junit_report(report_of('<testsuite tests="2" skipped="2"/>'), "r.xml")
    assert (report.ran, report.pass_rate) == (0, 0.0)


@pytest.mark.parametrize(("text", "says"), [
    ("<html><body/></html>", "holds no <testsuite>"),
    ("<testsuites/>", "holds no <testsuite>"),
    ('<testsuite tests="many"/>', "a <testsuite> count is not a number"),
    ("<testsuite", "not a JUnit XML report"),
])
def test_what_is_not_a_junit_report_is_refused_in_one_line_naming_the_file(tmp_path: Path, text: str,
                                                                           says: str) -> None:
    path = tmp_path / "report.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(JUnitError) as caught:
        read_junit(path)
    assert caught.value.message.startswith(f"{path}: ") and says in caught.value.message
    assert "\n" not in caught.value.message


def test_a_missing_report_is_named(tmp_path: Path) -> None:
    with pytest.raises(JUnitError, match="report not found"):
        read_junit(tmp_path / "nowhere.xml")
