"""The runner's result.json as a typed model (LoadResult), and the Samples (whole run, windows, seconds) it gives."""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from erp_models.loadtest.histogram import Histogram, Sample, bucket_ms

TOTAL = "total"  # the endpoint name that stands for every endpoint together


class LoadResultError(ValueError):
    """A result.json that cannot be read; the message is one line naming the file."""


class Loose(BaseModel):
    # The runner is another helper's code and may add fields; unknown ones are ignored, known ones are typed.
    model_config = ConfigDict(extra="ignore", frozen=True)


class EndpointResult(Loose):
    method: str = ""
    requests: int = Field(default=0, ge=0)
    failures: int = Field(default=0, ge=0)
    histogram: Histogram = Field(default_factory=Histogram.of)
    min_ms: float | None = None
    max_ms: float | None = None
    total_ms: float | None = None


class SecondEndpoint(Loose):
    requests: int = Field(default=0, ge=0)
    failures: int = Field(default=0, ge=0)
    histogram: Histogram = Field(default_factory=Histogram.of)


class Second(Loose):
    t: int = Field(ge=0)  # whole seconds since the start: the bucket holds requests finished in [t, t + 1)
    users: int = 0
    endpoints: dict[str, SecondEndpoint] = Field(default_factory=dict)


class Step(Loose):
    index: int = Field(ge=0)
    users: int = Field(ge=0)
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)


class Aborted(Loose):
    reason: str
    at_s: float


class ErrorCount(Loose):
    name: str
    error: str
    occurrences: int


class LoadResult(Loose):
    profile: str
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float = Field(ge=0)
    workers: int = 1
    endpoints: dict[str, EndpointResult] = Field(default_factory=dict)
    seconds: list[Second] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    aborted: Aborted | None = None
    errors: list[ErrorCount] = Field(default_factory=list)

    def endpoint_names(self) -> list[str]:
        return sorted(self.endpoints)

    def whole(self, endpoint: str = TOTAL) -> Sample:
        """The whole run of one endpoint, or of all of them (`total`)."""
        names = self.endpoint_names() if endpoint == TOTAL else [endpoint]
        return Sample.merged([_whole(self.endpoints[n]) for n in names if n in self.endpoints], self.duration_s)

    def per_second(self, endpoint: str = TOTAL) -> list[Sample]:
        """One Sample per second of the run, from t = 0 to the last second recorded; quiet seconds are empty."""
        by_t = {second.t: second for second in self.seconds}
        last = max(by_t, default=-1)
        return [self._second(by_t.get(t), endpoint) for t in range(last + 1)]

    def window(self, start_s: float, end_s: float, endpoint: str = TOTAL) -> Sample:
        """The seconds whose bucket starts in [start_s, end_s), merged; their count is the window's duration."""
        first, stop = math.ceil(start_s), math.ceil(end_s)
        picked = [s for t, s in enumerate(self.per_second(endpoint)) if first <= t < stop]
        return Sample.merged(picked, float(len(picked)))

    def _second(self, second: Second | None, endpoint: str) -> Sample:
        if second is None:
            parts: list[SecondEndpoint] = []
        elif endpoint == TOTAL:
            parts = list(second.endpoints.values())
        else:
            parts = [second.endpoints[endpoint]] if endpoint in second.endpoints else []
        return Sample(requests=sum(p.requests for p in parts), failures=sum(p.failures for p in parts),
                      histogram=Histogram.merged(p.histogram for p in parts), duration_s=1.0, seconds=1)


def _whole(endpoint: EndpointResult) -> Sample:
    return Sample(requests=endpoint.requests, failures=endpoint.failures, histogram=endpoint.histogram,
                  duration_s=0.0, min_ms=endpoint.min_ms, max_ms=endpoint.max_ms, total_ms=endpoint.total_ms)


def read_result(path: Path) -> LoadResult:
    """The runner's result.json; LoadResultError (one line, naming the file) when it is missing or malformed."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoadResultError(f"{path}: no load-test result") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LoadResultError(f"{path}: cannot read the load-test result ({exc})") from None
    try:
        return LoadResult.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise LoadResultError(f"{path}: {location}: {first['msg']}") from None


__all__ = ["TOTAL", "Histogram", "LoadResult", "LoadResultError", "Sample", "bucket_ms", "read_result"]
