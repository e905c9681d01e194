"""Seconds spent per phase of a migration (`MigrationPhase`), for the run's summary and the benchmark."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from erp_models.enums import MigrationPhase

T = TypeVar("T")


@dataclass
class PhaseClock:
    seconds: dict[MigrationPhase, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, phase: MigrationPhase) -> Iterator[None]:
        """Add the time the block takes to ``phase`` (also when it raises)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - start

    def timed(self, phase: MigrationPhase, items: Iterable[T]) -> Iterator[T]:
        """The items, with the time spent producing each one added to ``phase``."""
        source = iter(items)
        while True:
            with self.phase(phase):
                item = next(source, _END)
            if item is _END:
                return
            yield item  # type: ignore[misc]

    def add(self, other: dict[MigrationPhase, float]) -> None:
        for phase, seconds in other.items():
            self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds

    def summary(self) -> dict[str, float]:
        """Seconds per phase, in phase order, to the millisecond."""
        return {str(p): round(self.seconds[p], 3) for p in MigrationPhase if p in self.seconds}


_END = object()
