"""The readiness flow's run state says its verdict: not ready ends Failed naming the failing checks, and the
report still comes back; ready ends Completed."""

from __future__ import annotations

from pathlib import Path

from prefect.settings import PREFECT_API_URL
from sqlalchemy import Engine

from flows.readiness import check_readiness, environment_readiness


def test_not_ready_ends_failed_naming_the_check_and_still_reports(harness: None, erp_database: Engine,
                                                                    tmp_path: Path) -> None:
    unreachable = "http://127.0.0.1:9/api"
    state = environment_readiness(api_url=unreachable, state_dir=tmp_path, return_state=True)
    assert state.is_failed()
    assert state.message and state.message.startswith("not ready: ") and "prefect" in state.message.lower()
    report = check_readiness(api_url=unreachable, state_dir=tmp_path)
    assert report.ready is False
    assert [c.check for c in report.checks if not c.ok] == [c for c in [c.check for c in report.checks]
                                                           if "prefect" in c.lower()]


def test_ready_ends_completed(harness: None, erp_database: Engine, tmp_path: Path) -> None:
    state = environment_readiness(api_url=str(PREFECT_API_URL.value()), state_dir=tmp_path, return_state=True)
    assert state.is_completed(), state.message
    report = check_readiness(api_url=str(PREFECT_API_URL.value()), state_dir=tmp_path)
    assert report.ready and all(c.ok for c in report.checks)
