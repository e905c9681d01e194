"""Freezing business writes for a go-live cutover: `freeze`, `release`, `current_freeze`, and `guard_writes`.

Every API write transaction calls `guard_writes` first; `freeze` and `release` are the switch. None of
them commits: the caller's unit of work does.

Race safety comes from one PostgreSQL advisory lock, held to the end of the transaction:

- `guard_writes` takes it *shared* (`pg_advisory_xact_lock_shared`), then reads the active freeze in a
  second statement. Under READ COMMITTED (the API's level) that statement's snapshot is taken after the
  lock is granted, so it sees every freeze committed before.
- `freeze` takes it *exclusive* (`pg_advisory_xact_lock`). It waits until every write transaction that
  passed the guard has committed or rolled back, so a write that started before the freeze is fully
  committed before `freeze` can commit (and return). Writes that arrive while `freeze` waits queue behind
  it, and once it commits they read the new freeze and are refused. A write is therefore either committed
  before the freeze or refused with `Frozen`; none is half done or lost.

An advisory lock rather than `SELECT ... FOR SHARE` on a freeze row: a shared row lock writes the row
(xmax, a multixact, WAL) on every API write, while an advisory lock lives in memory only. The check costs
two statements per write (the lock, and an index read of the at most one active row); nothing is cached,
so every API worker process sees a freeze from the moment it commits. Reads never take the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp_models.errors import Frozen, InvalidInput
from erp_models.security.audit import audit
from erp_models.system.models import ApiFreeze

# One advisory lock key for the freeze, per database: the bytes of "erpfrz" as a bigint.
FREEZE_LOCK_KEY = 0x65_72_70_66_72_7A
DEFAULT_RETRY_AFTER_S = 60
MAX_RETRY_AFTER_S = 86_400


@dataclass(frozen=True)
class FreezeState:
    """An active (or just released) freeze."""

    frozen_at: datetime
    frozen_by: str
    reason: str
    retry_after_s: int
    released_at: datetime | None = None
    released_by: str | None = None

    @property
    def message(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return (f"business writes are frozen since {self.frozen_at.isoformat(timespec='seconds')} by "
                f"{self.frozen_by}{why}; retry after {self.retry_after_s} s")


def _state(row: ApiFreeze) -> FreezeState:
    return FreezeState(frozen_at=row.frozen_at, frozen_by=row.frozen_by, reason=row.reason,
                       retry_after_s=row.retry_after_s, released_at=row.released_at, released_by=row.released_by)


def _active(session: Session) -> ApiFreeze | None:
    return session.scalars(select(ApiFreeze).where(ApiFreeze.released_at.is_(None))
                           .order_by(ApiFreeze.id.desc()).limit(1)).first()


_ACTIVE_STATE = (select(ApiFreeze.frozen_at, ApiFreeze.frozen_by, ApiFreeze.reason, ApiFreeze.retry_after_s)
                 .where(ApiFreeze.released_at.is_(None)).order_by(ApiFreeze.id.desc()).limit(1))


def current_freeze(session: Session) -> FreezeState | None:
    """The active freeze, or None when writes are open (columns, not an ORM object: every API write asks)."""
    row = session.execute(_ACTIVE_STATE).first()
    return FreezeState(frozen_at=row[0], frozen_by=row[1], reason=row[2], retry_after_s=row[3]) if row else None


def guard_writes(session: Session) -> None:
    """Refuse with `Frozen` when writes are frozen; else hold the shared lock until this transaction ends."""
    session.execute(select(func.pg_advisory_xact_lock_shared(FREEZE_LOCK_KEY)))
    active = current_freeze(session)
    if active is not None:
        raise Frozen(active.message, retry_after_s=active.retry_after_s)


def freeze(session: Session, *, by: str, reason: str = "", retry_after_s: int = DEFAULT_RETRY_AFTER_S) -> FreezeState:
    """Freeze business writes, after every write in flight has finished; an active freeze is kept as it is."""
    if not 1 <= retry_after_s <= MAX_RETRY_AFTER_S:
        raise InvalidInput(f"retry_after_s must be between 1 and {MAX_RETRY_AFTER_S}, not {retry_after_s}")
    session.execute(select(func.pg_advisory_xact_lock(FREEZE_LOCK_KEY)))
    active = _active(session)
    if active is not None:
        return _state(active)
    row = ApiFreeze(frozen_by=by, reason=reason, retry_after_s=retry_after_s)
    session.add(row)
    session.flush()
    session.refresh(row)
    audit(session, actor=by, action="freeze", entity="api_freezes", ids=[row.id], reason=reason,
          retry_after_s=retry_after_s)
    return _state(row)


def release(session: Session, *, by: str) -> FreezeState | None:
    """Open writes again; returns the freeze released, or None when none was active."""
    session.execute(select(func.pg_advisory_xact_lock(FREEZE_LOCK_KEY)))
    row = _active(session)
    if row is None:
        return None
    row.released_at = session.scalar(select(func.now()))
    row.released_by = by
    session.flush()
    audit(session, actor=by, action="unfreeze", entity="api_freezes", ids=[row.id])
    return _state(row)
