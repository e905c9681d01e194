"""The unit of work, as the domain sees it: one transaction whose exit rolls back unless `commit()` was called.

`infra.db.UnitOfWork` opens one on the ERP database (the CLI, the API, tasks and tests use it), and
`SavepointUnitOfWork` one inside an outer transaction (a dry run's). Services that open several
transactions take a `UnitsOfWork` factory and use it as ``with units() as uow: ...; uow.commit()``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.orm import Session


class UnitOfWork(Protocol):
    session: Session

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def commit(self) -> None: ...


UnitsOfWork = Callable[[], UnitOfWork]


class SavepointUnitOfWork:
    """A unit of work inside an outer transaction (a dry run's, rolled back at its end): a savepoint, released by
    `commit()` and rolled back on leaving the block without it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> SavepointUnitOfWork:
        self._savepoint = self.session.begin_nested()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._savepoint.is_active:
            self._savepoint.rollback()

    def commit(self) -> None:
        self._savepoint.commit()
