"""Locust's distributed mode: worker processes (this module's `python -m loadtests.run --worker`), and the
master's side of them: waiting until they are connected and collecting their per-second data."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import MasterRunner

from loadtests.collect import Collector
from loadtests.config import RunConfig
from loadtests.users import mix

PAYLOAD_KEY = "erpops"  # the key of the collector's data in a worker's stats report


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


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


def run_worker(config: RunConfig, master_host: str, master_port: int) -> int:
    """One worker: runs the users the master dispatches to it and ships its collector with each report."""
    env = Environment(user_classes=list(mix(config.fixture, config.weights)), host=config.host)
    runner = env.create_worker_runner(master_host, master_port)
    collector = Collector()
    env.events.request.add_listener(collector.on_request)  # type: ignore[no-untyped-call]

    def on_report(client_id: str, data: dict[str, Any]) -> None:  # noqa: ARG001 (Locust's signature)
        data[PAYLOAD_KEY] = collector.drain()

    env.events.report_to_master.add_listener(on_report)  # type: ignore[no-untyped-call]
    runner.greenlet.join()
    return 0


class WorkerFeed:
    """The master's end: absorbs every worker report into the collector and knows when each last reported."""

    def __init__(self, env: Environment, collector: Collector) -> None:
        self.collector = collector
        self.last_report: dict[str, float] = {}
        env.events.worker_report.add_listener(self.on_worker_report)  # type: ignore[no-untyped-call]

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        self.collector.absorb(data.get(PAYLOAD_KEY, {}))
        self.last_report[client_id] = time.monotonic()

    def wait_for_workers(self, runner: MasterRunner, expected: int, procs: list[subprocess.Popen[bytes]],
                         timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while len(runner.clients.ready) < expected:
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                raise RuntimeError(f"a Locust worker exited with {dead[0].returncode} before the run started")
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(runner.clients.ready)} of {expected} Locust workers connected")
            gevent.sleep(0.2)

    def wait_for_final_reports(self, runner: MasterRunner, since: float, timeout_s: float = 10) -> None:
        """Every connected worker reports (every 3 s) once more after its users stopped, so that the master holds
        all of their requests before it writes the result."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ids = [c.id for c in runner.clients.all]
            if all(self.last_report.get(i, 0.0) > since for i in ids):
                return
            gevent.sleep(0.2)
