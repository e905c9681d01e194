"""The write freeze of a go-live cutover: freeze, unfreeze and read it. These endpoints keep working while
writes are frozen (they are the switch); every other write answers 503 `frozen` with a `Retry-After`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from erp_models.security.services import Principal
from erp_models.system.freeze import (
    DEFAULT_RETRY_AFTER_S,
    MAX_RETRY_AFTER_S,
    FreezeState,
    current_freeze,
    freeze,
    release,
)
from erpops.api.deps import Db, require
from erpops.api.schemas import Strict

router = APIRouter(prefix="/admin", tags=["admin"])
Switcher = Annotated[Principal, Depends(require("system.freeze"))]
Reader = Annotated[Principal, Depends(require("system.read"))]


class FreezeIn(Strict):
    reason: Annotated[str, Field(max_length=500)] = ""
    retry_after_s: Annotated[int, Field(ge=1, le=MAX_RETRY_AFTER_S)] = Field(
        default=DEFAULT_RETRY_AFTER_S, description="Seconds clients are told to wait (the Retry-After header).")


class FreezeOut(BaseModel):
    frozen: bool
    frozen_at: datetime | None = None
    frozen_by: str | None = None
    reason: str | None = None
    retry_after_s: int | None = None
    released_at: datetime | None = None
    released_by: str | None = None
    exempt_prefix: str | None = Field(default=None, description="Users whose name starts with this may write "
                                      "during the freeze (the cutover smoke test's tagged users); null: none.")

    @classmethod
    def of(cls, state: FreezeState | None, *, frozen: bool) -> FreezeOut:
        if state is None:
            return cls(frozen=frozen)
        return cls(frozen=frozen, frozen_at=state.frozen_at, frozen_by=state.frozen_by, reason=state.reason,
                   retry_after_s=state.retry_after_s, released_at=state.released_at, released_by=state.released_by,
                   exempt_prefix=state.exempt_prefix)


@router.get("/freeze", response_model=FreezeOut)
def status(db: Db, _: Reader) -> FreezeOut:
    """Whether business writes are frozen, since when, by whom and why."""
    state = db.read(current_freeze)
    return FreezeOut.of(state, frozen=state is not None)


@router.post("/freeze", response_model=FreezeOut)
def freeze_writes(body: FreezeIn, db: Db, who: Switcher) -> FreezeOut:
    """Freeze business writes once every write in flight has committed; an active freeze stays as it is."""
    state = db.write(lambda s: freeze(s, by=who.username, reason=body.reason, retry_after_s=body.retry_after_s),
                     guarded=False)
    return FreezeOut.of(state, frozen=True)


@router.post("/unfreeze", response_model=FreezeOut)
def unfreeze_writes(db: Db, who: Switcher) -> FreezeOut:
    """Open business writes again; answers the freeze it released (or `frozen: false` alone if none was)."""
    state = db.write(lambda s: release(s, by=who.username), guarded=False)
    return FreezeOut.of(state, frozen=False)
