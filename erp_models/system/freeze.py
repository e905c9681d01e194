"""Freezing business writes for a go-live cutover: `freeze`, `release`, `current_freeze`, `guard_writes`, and
the freeze's one narrow exemption, `allow_during_freeze` / `end_exemption`.

Every API write transaction calls `guard_writes` first, naming the caller; `freeze` and `release` are the
switch. None of them commits: the caller's unit of work does.

The exemption exists for the cutover's smoke test, which must write through the API before the switch, while
frozen. It is a username prefix stored on the active freeze row (at most one, of at least 8 characters, such
as the smoke run's random tag `smoke-1a2b3c-`): only callers whose username starts with it get through; a write
with no caller named (`actor=None`) never does. Setting and ending it are audited. It dies with its freeze: a
new freeze starts without one, and releasing leaves the column as it is (the audit rows are the full history).

Race safety comes from one PostgreSQL advisory lock, held to the end of the transaction:

- `guard_writes` takes it *shared* (`pg_advisory_xact_lock_shared`), then reads the active freeze in a
  second statement. Under READ COMMITTED (the API's level) that statement's snapshot is taken after the
  lock is granted, so it sees every freeze committed before.
- `freeze` takes it *exclusive* (`pg_advisory_xact_lock`). It waits until every write transaction that
  passed the guard has committed or rolled back, so a write that started before the freeze is fully
  committed before `freeze` can commit (and return). Writes that arrive while `freeze` waits queue behind
  it, and once it commits they read the new freeze and are refused. A write is therefore either committed
  before the freeze or refused with `Frozen`; none is half done or lost.
- `allow_during_freeze` and `end_exemption` take it *exclusive* too, and the guard reads the exemption in the
  same statement as the freeze. So once `end_exemption` has committed, every write the exemption let through
  has committed or rolled back, and every later one is refused.

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
MIN_EXEMPT_PREFIX, MAX_EXEMPT_PREFIX = 8, 64  # short prefixes would match real users' names


@dataclass(frozen=True)
class FreezeState:
    """An active (or just released) freeze."""

    frozen_at: datetime
    frozen_by: str
    reason: str
    retry_after_s: int
    released_at: datetime | None = None
    released_by: str | None = None
    exempt_prefix: str | None = None

    @property
    def message(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return (f"business writes are frozen since {self.frozen_at.isoformat(timespec='seconds')} by "
                f"{self.frozen_by}{why}; retry after {self.retry_after_s} s")

    def exempts(self, actor: str | None) -> bool:
        """Whether `actor` may write during this freeze: only a named caller whose name starts with the prefix."""
        return actor is not None and self.exempt_prefix is not None and actor.startswith(self.exempt_prefix)


def _state(row: ApiFreeze) -> FreezeState:
    return FreezeState(frozen_at=row.frozen_at, frozen_by=row.frozen_by, reason=row.reason,
                       retry_after_s=row.retry_after_s, released_at=row.released_at, released_by=row.released_by,
                       exempt_prefix=row.exempt_prefix)


def _active(session: Session) -> ApiFreeze | None:
    return session.scalars(select(ApiFreeze).where(ApiFreeze.released_at.is_(None))
                           .order_by(ApiFreeze.id.desc()).limit(1)).first()


_ACTIVE_STATE = (select(ApiFreeze.frozen_at, ApiFreeze.frozen_by, ApiFreeze.reason, ApiFreeze.retry_after_s,
                        ApiFreeze.exempt_prefix)
                 .where(ApiFreeze.released_at.is_(None)).order_by(ApiFreeze.id.desc()).limit(1))


def current_freeze(session: Session) -> FreezeState | None:
    """The active freeze, or None when writes are open (columns, not an ORM object: every API write asks)."""
    row = session.execute(_ACTIVE_STATE).first()
    if row is None:
        return None
    return FreezeState(frozen_at=row[0], frozen_by=row[1], reason=row[2], retry_after_s=row[3], exempt_prefix=row[4])


def guard_writes(session: Session, actor: str | None = None) -> None:
    """Refuse with `Frozen` when writes are frozen and `actor` is not exempted; else hold the shared lock until
    this transaction ends."""
    session.execute(select(func.pg_advisory_xact_lock_shared(FREEZE_LOCK_KEY)))
    active = current_freeze(session)
    if active is not None and not active.exempts(actor):
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


def allow_during_freeze(session: Session, *, prefix: str, by: str) -> FreezeState:
    """Let the users whose name starts with `prefix` write during the active freeze (replacing any earlier
    exemption of it); refused with `InvalidInput` when writes are not frozen or the prefix is too short."""
    if prefix != prefix.strip() or not MIN_EXEMPT_PREFIX <= len(prefix) <= MAX_EXEMPT_PREFIX:
        raise InvalidInput(f"an exempt prefix needs {MIN_EXEMPT_PREFIX} to {MAX_EXEMPT_PREFIX} characters and no "
                           f"surrounding blanks, not {prefix!r}")
    session.execute(select(func.pg_advisory_xact_lock(FREEZE_LOCK_KEY)))
    row = _active(session)
    if row is None:
        raise InvalidInput(f"business writes are not frozen: there is nothing to exempt {prefix!r} from")
    replaced, row.exempt_prefix = row.exempt_prefix, prefix
    session.flush()
    audit(session, actor=by, action="freeze_exempt", entity="api_freezes", ids=[row.id], exempt_prefix=prefix,
          replaced=replaced)
    return _state(row)


def end_exemption(session: Session, *, by: str, prefix: str | None = None) -> FreezeState | None:
    """End the active freeze's exemption (only if it is `prefix`, when given), once the writes it let through
    have finished; returns the freeze, or None when none is active (harmless, as is ending no exemption)."""
    session.execute(select(func.pg_advisory_xact_lock(FREEZE_LOCK_KEY)))
    row = _active(session)
    if row is None or row.exempt_prefix is None or prefix not in (None, row.exempt_prefix):
        return None if row is None else _state(row)
    ended, row.exempt_prefix = row.exempt_prefix, None
    session.flush()
    audit(session, actor=by, action="freeze_exempt_end", entity="api_freezes", ids=[row.id], exempt_prefix=ended)
    return _state(row)
