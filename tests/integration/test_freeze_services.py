"""The freeze as domain functions: freeze, read, guard and release, in the caller's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import Frozen, InvalidInput
from erp_models.system.freeze import current_freeze, freeze, guard_writes, release


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
