"""Samples the API process's memory and its database connections while the load runs (a soak's leak check)."""

from __future__ import annotations

import threading
import time
from types import TracebackType

from pydantic import BaseModel, Field
from sqlalchemy import Engine

from erp_models.ops.monitor_probes import application_connections

API_APPLICATION_NAME = "erpops-api"  # what the API's engine calls itself in pg_stat_activity


class ResourceSample(BaseModel):
    t_s: float
    rss_mb: float | None  # None when the API is not our child process (`--api-url`)
    db_connections: int | None


class ResourceReport(BaseModel):
    every_s: float
    samples: list[ResourceSample] = Field(default_factory=list)

    def _series(self, attr: str) -> list[float]:
        return [float(v) for s in self.samples if (v := getattr(s, attr)) is not None]

    def _steady(self, attr: str) -> list[float]:
        """The series without its first sample, taken before the load (connection pools fill as users start)."""
        series = self._series(attr)
        return series[1:] if len(series) >= 3 else series

    @property
    def rss_growth_mb(self) -> float | None:
        rss = self._steady("rss_mb")
        return round(rss[-1] - rss[0], 1) if len(rss) >= 2 else None

    @property
    def connection_growth(self) -> int | None:
        conns = self._steady("db_connections")
        return int(conns[-1] - conns[0]) if len(conns) >= 2 else None

    @property
    def max_connections(self) -> int | None:
        conns = self._series("db_connections")
        return int(max(conns)) if conns else None


class ResourceSampler:
    """A daemon thread taking one sample every `every_s` seconds until the block ends (and one at each end)."""

    def __init__(self, *, pid: int | None, engine: Engine, every_s: float) -> None:
        self.report = ResourceReport(every_s=every_s)
        self._pid, self._engine, self._every_s = pid, engine, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="load-test resources", daemon=True)
        self._started = time.monotonic()

    def __enter__(self) -> ResourceSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sample()

    def _loop(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(self._every_s):
                return

    def _sample(self) -> None:
        self.report.samples.append(ResourceSample(t_s=round(time.monotonic() - self._started, 1),
                                                  rss_mb=self._rss_mb(), db_connections=self._connections()))

    def _rss_mb(self) -> float | None:
        if self._pid is None:
            return None
        import psutil

        try:
            process = psutil.Process(self._pid)
            # uvicorn with --workers has children: count the whole tree.
            rss = sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])
        except psutil.Error:
            return None
        return round(float(rss) / 2**20, 1)

    def _connections(self) -> int | None:
        try:
            with self._engine.connect() as conn:
                return application_connections(conn, API_APPLICATION_NAME)
        except Exception:  # a sample is best effort: a busy database must not fail the run
            return None
