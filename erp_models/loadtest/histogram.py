"""Response-time histograms as Locust keeps them, merged across workers, seconds and endpoints, read as Samples.

Percentiles are computed the way Locust's `calculate_response_time_percentile` computes them, reimplemented here
in a few lines because erp_models may not import locust (its gevent monkey-patching must never reach a process that
runs Prefect); tests/unit/loadtest compares the two on the same histograms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ConfigDict, RootModel, field_validator


def bucket_ms(response_time_ms: float) -> int:
    """Locust's rounding to about two significant digits (147 ms is kept as 150), as `bucket_response_time`."""
    if response_time_ms < 100:
        return round(response_time_ms)
    if response_time_ms < 1000:
        return int(round(response_time_ms, -1))
    if response_time_ms < 10000:
        return int(round(response_time_ms, -2))
    return int(round(response_time_ms, -3))


class Histogram(RootModel[dict[int, int]]):
    """Rounded response time in ms -> number of requests; JSON keys are strings ("12": 30)."""

    model_config = ConfigDict(frozen=True)

    @field_validator("root")
    @classmethod
    def _counts_are_positive(cls, counts: dict[int, int]) -> dict[int, int]:
        if any(count < 0 or ms < 0 for ms, count in counts.items()):
            raise ValueError("a histogram holds response times and counts that are not negative")
        return {ms: count for ms, count in counts.items() if count}

    @classmethod
    def of(cls, counts: dict[int, int] | None = None) -> Histogram:
        return cls(dict(counts or {}))

    @classmethod
    def merged(cls, histograms: Iterable[Histogram]) -> Histogram:
        """The sum of the histograms: how Locust merges workers' stats, never an average of percentiles."""
        total: Counter[int] = Counter()
        for histogram in histograms:
            total.update(histogram.root)
        return cls(dict(total))

    @property
    def count(self) -> int:
        return sum(self.root.values())

    def percentile(self, q: float) -> float | None:
        """The response time that a share `q` (0..1) of the requests finished within; None when empty."""
        total = self.count
        if total == 0:
            return None
        within = int(total * q)
        processed = 0
        for ms in sorted(self.root, reverse=True):
            processed += self.root[ms]
            if total - processed <= within:
                return float(ms)
        return 0.0

    def mean(self) -> float | None:
        total = self.count
        return sum(ms * n for ms, n in self.root.items()) / total if total else None

    def min(self) -> float | None:
        return float(min(self.root)) if self.root else None

    def max(self) -> float | None:
        return float(max(self.root)) if self.root else None


@dataclass(frozen=True)
class Sample:
    """Requests of one endpoint (or all) over a stretch of the run: what a threshold is judged on.

    min_ms, max_ms and total_ms are exact when the runner measured them (whole-run endpoint figures) and None for
    windows built from per-second histograms, where the histogram's rounded values stand in.
    """

    requests: int
    failures: int
    histogram: Histogram
    duration_s: float
    min_ms: float | None = None
    max_ms: float | None = None
    total_ms: float | None = None
    seconds: int = field(default=0)  # how many one-second buckets went into a window (0: the whole run)

    @classmethod
    def merged(cls, samples: list[Sample], duration_s: float) -> Sample:
        """Samples over the same span (endpoints, workers) or adjacent spans (seconds), added up."""
        mins = [s.min_ms for s in samples]
        maxes = [s.max_ms for s in samples]
        totals = [s.total_ms for s in samples]
        return cls(
            requests=sum(s.requests for s in samples), failures=sum(s.failures for s in samples),
            histogram=Histogram.merged(s.histogram for s in samples), duration_s=duration_s,
            min_ms=None if None in mins or not mins else min(m for m in mins if m is not None),
            max_ms=None if None in maxes or not maxes else max(m for m in maxes if m is not None),
            total_ms=None if None in totals or not totals else sum(t for t in totals if t is not None),
            seconds=sum(s.seconds for s in samples))

    def percentile_ms(self, q: float) -> float | None:
        return self.histogram.percentile(q)

    def avg_ms(self) -> float | None:
        if self.total_ms is not None and self.requests:
            return self.total_ms / self.requests
        return self.histogram.mean()

    def lowest_ms(self) -> float | None:
        return self.min_ms if self.min_ms is not None else self.histogram.min()

    def highest_ms(self) -> float | None:
        return self.max_ms if self.max_ms is not None else self.histogram.max()

    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    def fail_ratio(self) -> float | None:
        return self.failures / self.requests if self.requests else None
