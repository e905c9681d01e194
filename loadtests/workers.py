"""Locust's distributed mode, the master's side: local worker processes (`python -m loadtests.run --worker`, see
loadtests/worker.py), handing every worker the run's config, waiting until they are all there, and collecting
their per-second data."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment
from locust.rpc import Message
from locust.runners import MasterRunner

from loadtests.collect import Collector
from loadtests.config import RunConfig
from loadtests.worker import CONFIG, HELLO, PAYLOAD_KEY


class WorkersMissing(Exception):
    """Fewer workers than expected joined in time: the run cannot start (one line)."""


def spawn_workers(config_path: Path, host: str, port: int, count: int, log_dir: Path) -> list[subprocess.Popen[bytes]]:
    """`count` local worker processes connecting to the master at host:port; each logs to its own file."""
    procs = []
    for n in range(count):
        with (log_dir / f"worker-{n}.log").open("wb") as log:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "loadtests.run", "--config", str(config_path), "--worker",
                 "--master-host", host, "--master-port", str(port)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT))
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]], timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=5)


class WorkerFeed:
    """The master's end: answers each worker's hello with the run's config, absorbs every worker report into the
    collector, and knows when each worker last reported and how many requests it made."""

    def __init__(self, env: Environment, runner: MasterRunner, collector: Collector, config: RunConfig) -> None:
        self.collector = collector
        self.runner = runner
        self.payload = config.for_worker()
        self.configured: set[str] = set()
        self.last_report: dict[str, float] = {}
        self.requests: Counter[str] = Counter()
        env.events.worker_report.add_listener(self.on_worker_report)  # type: ignore[no-untyped-call]
        runner.register_message(HELLO, self.on_hello)

    def on_hello(self, environment: Environment, msg: Message, **_: Any) -> None:  # noqa: ARG002 (Locust's)
        self.runner.send_message(CONFIG, self.payload, client_id=msg.node_id)
        self.configured.add(msg.node_id)

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        payload = data.get(PAYLOAD_KEY, {})
        self.collector.absorb(payload)
        self.requests[client_id] += sum(e["requests"] for per in payload.get("seconds", {}).values()
                                        for e in per.values())
        self.last_report[client_id] = time.monotonic()

    def wait_for_workers(self, expected: int, procs: list[subprocess.Popen[bytes]], timeout_s: float,
                         where: str) -> None:
        """Until `expected` workers are connected and have their config; WorkersMissing after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while len(self._joined()) < expected:
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                raise WorkersMissing(f"a local Locust worker exited with {dead[0].returncode} before the run started")
            if time.monotonic() > deadline:
                raise WorkersMissing(f"only {len(self._joined())} of {expected} Locust workers joined the master at "
                                     f"{where} within {timeout_s:g} s; the run did not start")
            gevent.sleep(0.2)

    def _joined(self) -> set[str]:
        return self.configured & {c.id for c in self.runner.clients.ready}

    def wait_for_final_reports(self, since: float, timeout_s: float = 10) -> None:
        """Every connected worker reports (every 3 s) once more after its users stopped, so that the master holds
        all of their requests before it writes the result."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ids = [c.id for c in self.runner.clients.all]
            if all(self.last_report.get(i, 0.0) > since for i in ids):
                return
            gevent.sleep(0.2)

    def worker_requests(self) -> dict[str, int]:
        """Requests per worker (by Locust's client id), for result.json's `worker_requests`."""
        return dict(sorted(self.requests.items()))
