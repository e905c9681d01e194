"""Subprocess entry point of a load-test run: `python -m loadtests.run --config CONFIG.json --out DIR`.

Writes result.json, orders.jsonl, report.html and stats_*.csv into DIR (see docs/qa-guide.md, "Report").
Exit 0 when the run completed (thresholds are judged by the load-test flow), 2 for a bad config.
With `"workers": K > 1` it is a Locust master with K local worker processes; with `"master_host"` set it only
runs K workers that connect to that master (another host's run). `--worker` is the worker processes' own mode.
Runs in its own process: Locust monkey-patches with gevent, which must never share a process with Prefect.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.errors import ConfigError
from loadtests.config import load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.run", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="the run's CONFIG.json")
    parser.add_argument("--out", type=Path, help="directory for the result files (not for --worker)")
    parser.add_argument("--worker", action="store_true", help="run as one Locust worker of a master")
    parser.add_argument("--master-host", help="the master a --worker connects to (default: the config's)")
    parser.add_argument("--master-port", type=int, help="its port (default: the config's)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        master_host = args.master_host or config.master_host
        master_port = args.master_port or config.master_port
        if args.worker or config.master_host:
            if not master_host or not master_port:
                raise ConfigError(f"{args.config}: a worker needs master_host and master_port")
            from loadtests import workers

            if args.worker:
                return workers.run_worker(config, master_host, master_port)
            procs = workers.spawn_workers(args.config, master_host, master_port, config.workers,
                                          args.out or Path("."))
            return max(proc.wait() for proc in procs)
        if args.out is None:
            raise ConfigError("--out DIR is needed for a run")
        args.out.mkdir(parents=True, exist_ok=True)
        from loadtests.runner import run_load

        return run_load(config, args.config, args.out)
    except ConfigError as exc:
        print(f"loadtests.run: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
