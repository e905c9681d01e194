"""Load results built by hand: a run of some seconds with chosen response times per endpoint."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from erp_models.loadtest.stats import LoadResult, bucket_ms

# One second of one endpoint: the response times (ms) of its requests, and how many of them failed.
SecondSpec = tuple[Sequence[float], int]


def result_of(per_second: dict[str, list[SecondSpec]], *, steps: list[tuple[int, float, float]] | None = None,
              users: int = 4, profile: str = "smoke") -> LoadResult:
    """A LoadResult whose endpoints and totals are exactly the seconds given (steps: (users, start_s, end_s))."""
    length = max((len(seconds) for seconds in per_second.values()), default=0)
    seconds = []
    totals: dict[str, dict[str, object]] = {}
    for t in range(length):
        endpoints = {}
        for name, specs in per_second.items():
            if t >= len(specs) or not specs[t][0]:
                continue
            times, failures = specs[t]
            endpoints[name] = {"requests": len(times), "failures": failures,
                               "histogram": {str(k): v for k, v in Counter(bucket_ms(x) for x in times).items()}}
        seconds.append({"t": t, "users": users, "endpoints": endpoints})
    for name, specs in per_second.items():
        times = [x for spec in specs for x in spec[0]]
        totals[name] = {"method": "POST", "requests": len(times), "failures": sum(spec[1] for spec in specs),
                        "histogram": {str(k): v for k, v in Counter(bucket_ms(x) for x in times).items()},
                        "min_ms": min(times, default=None), "max_ms": max(times, default=None),
                        "total_ms": sum(times)}
    step_rows = [{"index": i, "users": u, "start_s": s, "end_s": e} for i, (u, s, e) in enumerate(steps or [])]
    return LoadResult.model_validate({
        "profile": profile, "duration_s": float(length), "endpoints": totals, "seconds": seconds,
        "steps": step_rows or [{"index": 0, "users": users, "start_s": 0.0, "end_s": float(length)}]})


def steady(times: Sequence[float], seconds: int, failures: int = 0) -> list[SecondSpec]:
    """The same requests every second."""
    return [(list(times), failures)] * seconds
