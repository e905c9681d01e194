"""GX Data Docs read like the gate: warn-severity failures are shown, but never make a page read as failed."""

from __future__ import annotations

import re
from pathlib import Path

from expectations.docs import build_data_docs
from expectations.gate import run_gate
from tests.unit.gate_cases import FIRST_LABEL, clean_batch

ROW_2 = FIRST_LABEL + 2


def validation_page(docs: Path) -> str:
    """The newest validation page: the docs list every validation run in this process, newest last by path."""
    page = max((docs / "validations").rglob("*.html"))
    return page.read_text(encoding="utf-8")


def status(page: str) -> str:
    text = re.sub(r"<[^>]+>", " ", page)
    found = re.search(r"Status:\s+(Succeeded|Failed)", text)
    assert found, "no status on the page"
    return found.group(1)


def test_a_sample_failing_only_warn_expectations_reads_succeeded(tmp_path: Path) -> None:
    sample = clean_batch("customers")
    sample.loc[ROW_2, "phone"] = "0571-8888"  # not a mobile number: phone_is_mobile only warns
    gate = run_gate(sample, "customers")
    assert gate.failed_rows == {} and [w.name for w in gate.warnings] == ["phone_is_mobile"]

    assert build_data_docs(tmp_path / "docs", "customers", sample) is not None

    page = validation_page(tmp_path / "docs")
    assert status(page) == "Succeeded"
    assert "0571-8888" in page  # the warning and its value stay visible


def test_a_sample_failing_a_blocking_expectation_still_reads_failed(tmp_path: Path) -> None:
    sample = clean_batch("customers")
    sample.loc[ROW_2, "name"] = None

    build_data_docs(tmp_path / "docs", "customers", sample)

    assert status(validation_page(tmp_path / "docs")) == "Failed"
