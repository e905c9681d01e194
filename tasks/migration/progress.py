"""Progress of a migration run: the caller's reporter (the CLI's progress bars) and the Prefect progress artifact.

The caller of the flow passes a reporter (`reporting`); the run's tasks, in the caller's context, report to
it. It is a context variable, not a parameter of the flow: a flow's parameters go to the Prefect server, and a
reporter is a function of the calling process.
"""

from __future__ import annotations

import glob
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from uuid import UUID

from erp_models.migration.mapping import Mapping

Reporter = Callable[[str, str, int, int], None]  # entity, phase, rows done, rows expected
PUSH_EVERY_S = 1.0
_reporter: ContextVar[Reporter | None] = ContextVar("migration_reporter", default=None)


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Within the block, the migration's tasks report their progress to ``reporter``."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


def expected_rows(mapping: Mapping, base: Path, entity: str) -> int:
    """A cheap estimate from file sizes and the length of the first lines; 0 when unknown (SQL)."""
    source = mapping.entities[entity].source.csv
    if source is None:
        return 0
    pattern = source.path if Path(source.path).is_absolute() else str(base / source.path)
    total = 0
    for name in glob.glob(pattern):
        path = Path(name)
        with path.open("rb") as handle:
            head = handle.read(65536)
        if head:
            lines = max(head.count(b"\n"), 1)
            total += int(path.stat().st_size / (len(head) / lines)) - (1 if source.header else 0)
    return max(total, 0)


class RunProgress:
    """Fraction done over all (entity, phase) steps, pushed to the caller's reporter at every batch and to the
    progress artifact at most once a second (each push is a call to the Prefect server; the flow sets 100 %
    when the run ends)."""

    def __init__(self, artifact_id: UUID | None, steps: int) -> None:
        self.artifact_id = artifact_id
        self.steps = max(steps, 1)
        self.done_steps = 0
        self._pushed_at: float | None = None

    def update(self, entity: str, phase: str, rows: int, expected: int) -> None:
        reporter = _reporter.get()
        if reporter is not None:
            reporter(entity, phase, rows, expected)
        fraction = min(rows / expected, 0.99) if expected else 0.5
        self._push(100.0 * (self.done_steps + fraction) / self.steps)

    def _push(self, percent: float) -> None:
        now = time.monotonic()
        if self.artifact_id is None or (self._pushed_at is not None and now - self._pushed_at < PUSH_EVERY_S):
            return
        self._pushed_at = now
        from prefect.artifacts import update_progress_artifact

        update_progress_artifact(self.artifact_id, min(percent, 100.0))
