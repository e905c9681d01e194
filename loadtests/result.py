"""result.json and orders.jsonl: Locust's merged statistics plus the collector's per-second data, as in the
load-test contract (docs/qa-guide.md, "Report")."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from locust.env import Environment

from loadtests.collect import Collector, SecondStats
from loadtests.steps import StepWindow


@dataclass
class RunClock:
    """When the load started (wall clock) and the users the runner had in each epoch second."""

    started_at: datetime
    users: dict[int, int] = field(default_factory=dict)
    finished_at: datetime | None = None

    @property
    def start_epoch(self) -> int:
        return int(self.started_at.timestamp())

    def elapsed_s(self, now: datetime) -> float:
        return (now - self.started_at).total_seconds()


def endpoints(env: Environment) -> dict[str, dict[str, Any]]:
    """Per Locust name: counts and the full (bucketed) response-time histogram, as the master merged it."""
    out: dict[str, dict[str, Any]] = {}
    for entry in sorted(env.stats.entries.values(), key=lambda e: e.name):
        out[entry.name] = {
            "method": entry.method, "requests": entry.num_requests, "failures": entry.num_failures,
            "histogram": {str(ms): n for ms, n in sorted(entry.response_times.items())},
            "min_ms": float(entry.min_response_time or 0), "max_ms": float(entry.max_response_time),
            "total_ms": float(entry.total_response_time),
        }
    return out


def seconds(collector: Collector, clock: RunClock) -> list[dict[str, Any]]:
    """One row per second since the start (requests before it count in second 0), with the user count."""
    start = clock.start_epoch
    last = max([*(t - start for t in collector.seconds), *(t - start for t in clock.users), 0])
    rows: list[dict[str, Any]] = []
    users = 0
    for t in range(last + 1):
        users = clock.users.get(start + t, users)
        per: dict[str, SecondStats] = collector.seconds.get(start + t, {})
        rows.append({"t": t, "users": users, "endpoints": {name: s.to_json() for name, s in sorted(per.items())}})
    for epoch, per in collector.seconds.items():
        if epoch < start:  # a request logged just before the clock started
            for name, s in per.items():
                row = rows[0]["endpoints"].setdefault(name, {"requests": 0, "failures": 0, "histogram": {}})
                row["requests"] += s.requests
                row["failures"] += s.failures
                for ms, n in s.histogram.items():
                    row["histogram"][str(ms)] = row["histogram"].get(str(ms), 0) + n
    return rows


def errors(env: Environment) -> list[dict[str, Any]]:
    return [{"name": e.name, "error": _error_text(e.error), "occurrences": e.occurrences}
            for e in sorted(env.stats.errors.values(), key=lambda e: -e.occurrences)]


def _error_text(error: object) -> str:
    text = str(error)
    for prefix in ("CatchResponseError('", 'CatchResponseError("'):
        if text.startswith(prefix):
            text = text[len(prefix):-2]
    return text[:500]


def build(*, profile: str, workers: int, env: Environment, collector: Collector, clock: RunClock,
          steps: list[StepWindow], aborted: dict[str, Any] | None, now: datetime,
          worker_requests: dict[str, int] | None = None) -> dict[str, Any]:
    """The contract's result.json document, also while the run is going (for abort checks). A distributed run's
    also has `worker_requests`: requests per worker (Locust's client id)."""
    finished = clock.finished_at or now
    duration = clock.elapsed_s(finished)
    return {
        "profile": profile, "started_at": clock.started_at.isoformat(), "finished_at": finished.isoformat(),
        "duration_s": round(duration, 3), "workers": workers,
        "endpoints": endpoints(env), "seconds": seconds(collector, clock),
        "steps": [asdict(w) | {"end_s": min(w.end_s, round(duration, 3))} for w in steps if w.start_s < duration],
        "aborted": aborted, "errors": errors(env),
        "answers": {name: dict(sorted(c.items())) for name, c in sorted(collector.answers.items())},
    } | ({"worker_requests": worker_requests} if worker_requests is not None else {})


def write(out_dir: Path, result: dict[str, Any]) -> None:
    (out_dir / "result.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
