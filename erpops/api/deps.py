"""Request dependencies: the caller's principal (bearer token) and transactions with bounded retries; writes
are refused while a cutover freezes them, unless the freeze exempts the caller (the cutover's smoke users)."""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from erp_models.errors import Unauthenticated
from erp_models.security.services import Principal, authenticate
from erp_models.system.freeze import guard_writes
from infra.db import UnitOfWork

T = TypeVar("T")
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
MAX_ATTEMPTS = 5

bearer = HTTPBearer(auto_error=False, description="An API token from `erpops token create`.")


class Database:
    """Runs one unit of work per call; writes commit, and are retried when PostgreSQL asks for it."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory

    def read(self, work: Callable[[Session], T]) -> T:
        with UnitOfWork(self._factory) as uow:
            return work(uow.session)

    def write(self, work: Callable[[Session], T], *, guarded: bool = True, actor: str | None = None) -> T:
        """Run `work` and commit; a guarded write is refused with `Frozen` while business writes are frozen,
        unless the freeze exempts `actor` (see erp_models.system.freeze: the check runs inside this transaction,
        so none slips past a freeze)."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with UnitOfWork(self._factory) as uow:
                    if guarded:
                        guard_writes(uow.session, actor)
                    result = work(uow.session)
                    uow.commit()
                    return result
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES or attempt == MAX_ATTEMPTS:
                    raise
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable")


class AuthCache:
    """Tokens checked in the last `ttl` seconds, keyed by their digest, so hot paths skip the lookup."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Principal | None:
        with self._lock:
            hit = self._entries.get(key)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def put(self, key: str, principal: Principal) -> None:
        if self.ttl > 0:
            with self._lock:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[key] = (time.monotonic() + self.ttl, principal)


class RequestDatabase:
    """The app's Database seen from one request: its writes name the caller the token authenticated (None
    before authentication), so a freeze's exemption applies to exactly that caller and no route passes it."""

    def __init__(self, db: Database, request: Request) -> None:
        self._db, self._request = db, request

    def read(self, work: Callable[[Session], T]) -> T:
        return self._db.read(work)

    def write(self, work: Callable[[Session], T], *, guarded: bool = True) -> T:
        principal: Principal | None = getattr(self._request.state, "principal", None)
        return self._db.write(work, guarded=guarded, actor=principal.username if principal else None)


def get_db(request: Request) -> RequestDatabase:
    db: Database = request.app.state.db
    return RequestDatabase(db, request)


Db = Annotated[RequestDatabase, Depends(get_db)]


def current_principal(
    request: Request, db: Db, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthenticated("an Authorization: Bearer <token> header is required")
    cache: AuthCache = request.app.state.auth_cache
    key = hashlib.sha256(credentials.credentials.encode()).hexdigest()
    principal = cache.get(key)
    if principal is None:
        principal = db.read(lambda s: authenticate(s, credentials.credentials))
        cache.put(key, principal)
    request.state.principal = principal  # whom this request's writes name (RequestDatabase.write)
    return principal


def require(permission: str) -> Callable[..., Principal]:
    """A dependency that admits callers whose role holds `permission` (401 without a token, else 403)."""

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        principal.require(permission)
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the OpenAPI docs and the tests
    return check
