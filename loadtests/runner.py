"""One bounded load-test run, local or as the master of Locust workers, to the contract's output files."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import STATE_STOPPED, MasterRunner, Runner

from infra.api_process import free_port
from loadtests import result as results
from loadtests.abort import AbortWatch
from loadtests.collect import Collector
from loadtests.config import RunConfig
from loadtests.reports import LocustReports
from loadtests.shapes import StepShape
from loadtests.steps import single_step
from loadtests.users import mix
from loadtests.workers import WorkerFeed, WorkersMissing, spawn_workers, stop_workers

CHECKS_PER_RUN = 600
SPAWN_SLACK_S = 5.0  # a step shape's ramp-up blocks its ticks; allow it this much past its planned end


def run_load(config: RunConfig, config_path: Path, out_dir: Path) -> int:
    """Run the mix against config.host and write result.json, orders.jsonl, report.html and stats_*.csv."""
    watch = AbortWatch(config.thresholds, str(config_path))
    shape = StepShape(config.steps, config.duration_s, config.spawn_rate) if config.steps else None
    env = Environment(user_classes=list(mix(config.fixture, config.weights)), host=config.host, shape_class=shape)
    orders = (out_dir / "orders.jsonl").open("w", encoding="utf-8")
    collector = Collector(orders_sink=orders)
    procs: list[subprocess.Popen[bytes]] = []
    feed: WorkerFeed | None = None
    runner: Runner
    if config.distributed:
        port = config.bind_port or free_port(config.master_bind_host)
        runner = env.create_master_runner(master_bind_host=config.master_bind_host, master_bind_port=port)
        assert isinstance(runner, MasterRunner)
        feed = WorkerFeed(env, runner, collector, config)
        print(f"Locust master on {config.master_bind_host}:{port}, waiting for {config.workers} local and "
              f"{config.remote_workers} remote workers", flush=True)
        connect_to = "127.0.0.1" if config.master_bind_host in ("0.0.0.0", "*") else config.master_bind_host
        gevent.signal_handler(signal.SIGTERM, _terminate, procs)
        procs.extend(spawn_workers(config_path, connect_to, port, config.workers, out_dir))
    else:
        runner = env.create_local_runner()
        env.events.request.add_listener(collector.on_request)  # type: ignore[no-untyped-call]
    try:
        if feed is not None:
            try:
                feed.wait_for_workers(config.workers + config.remote_workers, procs, config.workers_wait_s,
                                      f"{config.master_bind_host}:{port}")
            except WorkersMissing:
                runner.quit()  # the workers that did join go home rather than wait for a master that is gone
                raise
        reports = LocustReports(env, out_dir)
        reports.start()
        steps = shape.windows if shape else single_step(config.users, config.duration_s)
        clock = results.RunClock(started_at=datetime.now(UTC))
        if shape:
            runner.start_shape()
        else:
            runner.start(config.users, spawn_rate=config.spawn_rate)
        limit_s = shape.total_s + SPAWN_SLACK_S if shape else config.duration_s
        aborted = _drive(runner, config, env, collector, clock, steps, watch, limit_s, shape is not None)
        clock.finished_at = datetime.now(UTC)
        runner.stop()
        stopped_at = time.monotonic()  # every worker's users are gone: its next report holds its last requests
        if feed is not None:
            feed.wait_for_final_reports(since=stopped_at)
        runner.quit()
        reports.finish()
        document = results.build(profile=config.profile, workers=config.workers + config.remote_workers, env=env,
                                 collector=collector, clock=clock, steps=steps, aborted=aborted,
                                 now=clock.finished_at,
                                 worker_requests=feed.worker_requests() if feed is not None else None)
        results.write(out_dir, document)
    finally:
        orders.close()
        stop_workers(procs)
    return 0


def _drive(runner: Runner, config: RunConfig, env: Environment, collector: Collector, clock: results.RunClock,
           steps: list[Any], watch: AbortWatch, limit_s: float, shaped: bool) -> dict[str, Any] | None:
    """Tick once a second until the time is up (or the shape ends): note the user count and check the
    abort_on_fail thresholds on the result so far. Returns the abort record, if the run was aborted.

    A check reads the whole run so far, so in a long soak the checks thin out (one every elapsed/CHECKS_PER_RUN
    seconds once that is over a second) to keep their total cost near-linear in the run's length."""
    start = time.monotonic()
    checked_at = 0.0
    while (elapsed := time.monotonic() - start) < limit_s:
        clock.users.setdefault(int(time.time()), runner.user_count)
        gevent.sleep(max(0.0, min(1.0, limit_s - elapsed)))
        clock.users[int(time.time())] = runner.user_count
        if shaped and runner.state == STATE_STOPPED:
            break
        if watch.needed and elapsed - checked_at >= max(1.0, elapsed / CHECKS_PER_RUN) - 0.5:
            checked_at = elapsed
            now = datetime.now(UTC)
            so_far = results.build(profile=config.profile, workers=config.workers, env=env, collector=collector,
                                   clock=clock, steps=steps, aborted=None, now=now)
            reason = watch.reason(so_far, clock.elapsed_s(now))
            if reason:
                return {"reason": reason, "at_s": round(clock.elapsed_s(now), 1)}
    return None


def _terminate(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (the flow gave up on the run): take the local workers down too, rather than leave them waiting
    60 s for a master that is gone. No result is written."""
    for proc in procs:
        proc.terminate()
    os._exit(143)
