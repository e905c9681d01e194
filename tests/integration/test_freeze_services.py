"""The freeze as domain functions: freeze, read, guard and release, and the smoke test's exemption, in the
caller's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import Frozen, InvalidInput
from erp_models.system.freeze import (
    allow_during_freeze,
    current_freeze,
    end_exemption,
    freeze,
    guard_writes,
    release,
)


def test_a_freeze_refuses_guarded_writes_until_it_is_released(session: Session) -> None:
    assert current_freeze(session) is None
    guard_writes(session)
    state = freeze(session, by="pm", reason="cutover weekend", retry_after_s=120)
    assert current_freeze(session) == state
    with pytest.raises(Frozen, match="cutover weekend") as refused:
        guard_writes(session)
    assert refused.value.detail == {"retry_after_s": 120}
    released = release(session, by="pm")
    assert released is not None and released.released_by == "pm" and released.released_at is not None
    assert current_freeze(session) is None
    guard_writes(session)


def test_freeze_and_release_leave_audit_rows(session: Session) -> None:
    freeze(session, by="ops", reason="go-live")
    release(session, by="ops")
    actions = session.execute(text("SELECT action FROM audit_log WHERE entity = 'api_freezes' AND actor = 'ops' "
                                   "ORDER BY id")).scalars().all()
    assert actions == ["freeze", "unfreeze"]


def test_releasing_open_writes_returns_nothing_and_a_bad_retry_after_is_refused(session: Session) -> None:
    assert release(session, by="ops") is None
    with pytest.raises(InvalidInput, match="retry_after_s"):
        freeze(session, by="ops", retry_after_s=0)


def test_an_exemption_lets_only_names_starting_with_its_prefix_write_until_it_ends(session: Session) -> None:
    freeze(session, by="pm", reason="go-live")
    state = allow_during_freeze(session, prefix="smoke-1a2b3c-", by="smoke-test")
    assert state.exempt_prefix == "smoke-1a2b3c-" and current_freeze(session) == state
    guard_writes(session, "smoke-1a2b3c-sales")
    guard_writes(session, "smoke-1a2b3c-warehouse")
    for refused in (None, "admin-7f", "x-smoke-1a2b3c-sales", "SMOKE-1A2B3C-sales", "smoke-1a2b3"):
        with pytest.raises(Frozen, match="go-live"):
            guard_writes(session, refused)
    ended = end_exemption(session, by="smoke-test")
    assert ended is not None and ended.exempt_prefix is None
    with pytest.raises(Frozen):
        guard_writes(session, "smoke-1a2b3c-sales")
    assert end_exemption(session, by="smoke-test") == current_freeze(session)  # ending none is harmless


def test_an_exemption_needs_an_active_freeze_and_a_prefix_of_at_least_eight_characters(session: Session) -> None:
    with pytest.raises(InvalidInput, match="not frozen"):
        allow_during_freeze(session, prefix="smoke-1a2b3c-", by="smoke-test")
    assert end_exemption(session, by="smoke-test") is None
    freeze(session, by="pm")
    for bad in ("", "        ", "smoke-1", " smoke-1a2b3c-", "s" * 65):
        with pytest.raises(InvalidInput, match="exempt prefix"):
            allow_during_freeze(session, prefix=bad, by="smoke-test")
    active = current_freeze(session)
    assert active is not None and active.exempt_prefix is None


def test_an_exemption_dies_with_its_freeze_and_is_kept_as_history(session: Session) -> None:
    freeze(session, by="pm")
    allow_during_freeze(session, prefix="smoke-0a0b0c-", by="smoke-test")
    released = release(session, by="pm")
    assert released is not None and released.exempt_prefix == "smoke-0a0b0c-"
    guard_writes(session)  # open again for everyone
    assert freeze(session, by="pm").exempt_prefix is None
    with pytest.raises(Frozen):
        guard_writes(session, "smoke-0a0b0c-sales")


def test_ending_another_runs_exemption_by_prefix_leaves_it_in_place(session: Session) -> None:
    freeze(session, by="pm")
    allow_during_freeze(session, prefix="smoke-aaaaaa-", by="smoke-test")
    allow_during_freeze(session, prefix="smoke-bbbbbb-", by="smoke-test")  # a second run replaces the first
    kept = end_exemption(session, by="smoke-test", prefix="smoke-aaaaaa-")
    assert kept is not None and kept.exempt_prefix == "smoke-bbbbbb-"
    guard_writes(session, "smoke-bbbbbb-sales")


def test_setting_and_ending_an_exemption_leave_audit_rows(session: Session) -> None:
    freeze(session, by="ops")
    allow_during_freeze(session, prefix="smoke-abcdef-", by="auditor-smoke")
    end_exemption(session, by="auditor-smoke")
    rows = session.execute(text("SELECT action, detail->>'exempt_prefix' FROM audit_log WHERE entity = 'api_freezes' "
                                "AND actor = 'auditor-smoke' ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("freeze_exempt", "smoke-abcdef-"), ("freeze_exempt_end", "smoke-abcdef-")]
