"""One write in flight behind the caller: while Python transforms and gates batch N+1 on one core, PostgreSQL
takes batch N (its COPY, its quarantine rows, its checkpoint) on the other.

At most one batch waits or runs behind, so memory stays at two batches. Writes commit in submission order:
a batch's checkpoint never commits before an earlier batch's. A write's error reaches the caller at its next
`submit`, or when the block ends.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any


class Behind:
    def __init__(self, *, enabled: bool = True) -> None:
        """Disabled, each write runs at once in the caller's thread (a dry run: its savepoints share one
        connection, which one thread at a time may use)."""
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stage") if enabled else None
        self._pending: Future[Any] | None = None

    def submit(self, write: Callable[[], Any]) -> None:
        """Wait for the write before this one, then start `write`."""
        self.wait()
        if self._pool is None:
            write()
        else:
            # in the caller's context: the database in scope (a rehearsal's copy) is a context variable
            self._pending = self._pool.submit(contextvars.copy_context().run, write)

    def wait(self) -> None:
        """Until the write in flight has committed; its error is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> Behind:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                self.wait()
        finally:  # after an error the write in flight still ends (committed or rolled back) before the caller goes on
            if self._pool is not None:
                self._pool.shutdown(wait=True)
