"""Benchmark: what one Prefect server sustains on this machine, for sizing a team's server (docs/deployment.md).

It starts erpops's stack as `erpops server` does (an embedded PostgreSQL holding Prefect's state, one Prefect
server process with its services, on a free loopback port), then drives it from client processes:

- flow runs: `--clients` processes each run `--flows` small flows (one task each) one after another, as
  scheduled phases and `erpops` commands do;
- task runs: one flow runs `--tasks` no-op tasks, first one after another, then mapped onto Prefect's thread pool.

It prints the rates the clients saw and the CPU seconds the Prefect server and PostgreSQL spent per flow run and
per task run. On a 2-core machine the clients share the cores with the server, so the observed rates are a floor;
the CPU per run gives the capacity of a server with a core to itself (60 / CPU-seconds per flow run = flow runs
per minute). Nothing is judged: it prints figures for sizing.

  .venv/bin/python loadtests/bench_orchestration.py [--clients 2] [--flows 30] [--tasks 2000] [--port N]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _client(kind: str, count: int) -> None:
    """One client process: `count` flow runs, or one flow run of `count` tasks; prints what it timed."""
    from prefect import flow, task

    @task
    def noop(i: int) -> int:
        return i

    @flow(name="bench-flow")
    def small_flow() -> int:
        return noop(1)

    @flow(name="bench-tasks")
    def many_tasks(n: int) -> dict[str, float]:
        start = time.perf_counter()
        for i in range(n):
            noop(i)
        sequential = time.perf_counter() - start
        start = time.perf_counter()
        noop.map(range(n)).wait()
        return {"sequential_s": sequential, "mapped_s": time.perf_counter() - start}

    if kind == "flows":
        start = time.perf_counter()
        for _ in range(count):
            small_flow()
        print(json.dumps({"flows": count, "seconds": time.perf_counter() - start}))
    else:
        print(json.dumps(many_tasks(count)))


def _cpu(pids: list[int]) -> float:
    """CPU seconds of these processes and all their children so far."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def _clients(env: dict[str, str], kind: str, count: int, n: int) -> tuple[float, list[dict[str, Any]]]:
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, __file__, "--client", kind, "--count", str(count)], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(n)]
    outs = [json.loads(p.communicate(timeout=1800)[0].strip().splitlines()[-1]) for p in procs]
    if any(p.returncode for p in procs):
        raise SystemExit(f"a {kind} client failed")
    return time.perf_counter() - start, outs


def main() -> int:
    parser = argparse.ArgumentParser(description="flow runs per minute and task runs per second of one Prefect server")
    parser.add_argument("--clients", type=int, default=2, help="client processes running flows at once")
    parser.add_argument("--flows", type=int, default=30, help="flow runs per client")
    parser.add_argument("--tasks", type=int, default=2000, help="task runs in the task benchmark's flow")
    parser.add_argument("--port", type=int, default=None, help="the Prefect server's port (default: a free one)")
    parser.add_argument("--client", choices=("flows", "tasks"), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        _client(args.client, args.count)
        return 0
    from infra.api_process import free_port
    from infra.embedded_pg import EmbeddedPostgres
    from infra.prefect_server import PrefectServer, prefect_client_env
    from infra.settings import Settings
    from infra.stack import bring_up, tear_down

    with tempfile.TemporaryDirectory(prefix="erpops-bench-orch-") as tmp:
        settings = Settings(state_dir=Path(tmp) / ".erpops", prefect_port=args.port or free_port())
        print("starting the stack ...", flush=True)
        stack = bring_up(settings)
        try:
            server = PrefectServer(settings.state_dir, settings.prefect_port).running_pid()
            pg = int((EmbeddedPostgres(settings.state_dir).pgdata / "postmaster.pid").read_text().split()[0])
            watched = [p for p in (server, pg) if p]
            env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
            env |= prefect_client_env(settings.state_dir, stack.prefect_api_url)
            env["PREFECT_LOGGING_LEVEL"] = "WARNING"

            print(f"flow runs: {args.clients} clients x {args.flows} ...", flush=True)
            cpu0 = _cpu(watched)
            _, outs = _clients(env, "flows", args.flows, args.clients)
            wall = max(out["seconds"] for out in outs)  # the clients' own time, after their imports
            flow_cpu = _cpu(watched) - cpu0
            flows = args.clients * args.flows
            print(f"task runs: {args.tasks} in one flow ...", flush=True)
            cpu0 = _cpu(watched)
            _, (tasks,) = _clients(env, "tasks", args.tasks, 1)
            task_cpu = _cpu(watched) - cpu0
        finally:
            tear_down(settings)
    per_flow = flow_cpu / flows
    per_task = task_cpu / (2 * args.tasks)
    print(f"\nflow runs: {flows} in {wall:.1f} s = {60 * flows / wall:.0f} per minute seen by {args.clients} clients "
          f"({wall / args.flows:.2f} s per run per client)")
    print(f"  server + PostgreSQL CPU: {per_flow * 1000:.0f} ms per flow run "
          f"-> one server core sustains about {60 / per_flow:.0f} flow runs per minute")
    print(f"task runs: {args.tasks} one after another in {tasks['sequential_s']:.1f} s = "
          f"{args.tasks / tasks['sequential_s']:.0f}/s; mapped on the thread pool in {tasks['mapped_s']:.1f} s = "
          f"{args.tasks / tasks['mapped_s']:.0f}/s")
    print(f"  server + PostgreSQL CPU: {per_task * 1000:.1f} ms per task run "
          f"-> one server core sustains about {1 / per_task:.0f} task runs per second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
