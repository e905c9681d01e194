"""Subprocess entry point of a load-test run: `python -m loadtests.run --config CONFIG.json --out DIR`.

Writes result.json, orders.jsonl, report.html and stats_*.csv into DIR (see docs/qa-guide.md, "Report").
Exit 0 when the run completed (thresholds are judged by the load-test flow), 2 for a bad config, 4 when the run
could not start (its workers did not join) or a worker could not join its master.
With `"workers": K > 1` or `"remote_workers": N` it is a Locust master (K local worker processes, N more from other
hosts); with `"master_host"` set it only runs K workers that connect to that master. `--worker` is one worker
process: `python -m loadtests.run --worker --master-host H --master-port P` needs no config (the master sends it).
Runs in its own process: Locust monkey-patches with gevent, which must never share a process with Prefect.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.errors import ConfigError
from loadtests.config import DEFAULT_MASTER_PORT, RunConfig, load_config

EXIT_NOT_RUN = 4


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.run", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="the run's CONFIG.json (a --worker gets it from its master)")
    parser.add_argument("--out", type=Path, help="directory for the result files (not for --worker)")
    parser.add_argument("--worker", action="store_true", help="run as one Locust worker of a master")
    parser.add_argument("--master-host", help="the master a --worker connects to (default: the config's)")
    parser.add_argument("--master-port", type=int, help=f"its port (default: the config's, else {DEFAULT_MASTER_PORT})")
    parser.add_argument("--connect-timeout", type=float, default=120.0, metavar="S",
                        help="a --worker gives up when the master cannot be reached within S seconds (default 120)")
    args = parser.parse_args(argv)
    try:
        if args.config is None and not args.worker:
            raise ConfigError("--config CONFIG.json is needed (only a --worker gets its config from the master)")
        config: RunConfig | None = load_config(args.config) if args.config else None
        master_host = args.master_host or (config.master_host if config else None)
        master_port = args.master_port or (config.master_port if config else None) or DEFAULT_MASTER_PORT
        if args.worker:
            if not master_host:
                raise ConfigError("a worker needs --master-host (or master_host in its config)")
            from loadtests.worker import WorkerError, run_worker

            try:
                return run_worker(config, master_host, master_port, args.connect_timeout)
            except WorkerError as exc:
                print(f"loadtests.run: {exc}", file=sys.stderr)
                return EXIT_NOT_RUN
        assert config is not None and args.config is not None
        if config.master_host:
            from loadtests import workers

            procs = workers.spawn_workers(args.config, config.master_host, master_port, config.workers,
                                          args.out or Path("."))
            return max(proc.wait() for proc in procs)
        if args.out is None:
            raise ConfigError("--out DIR is needed for a run")
        args.out.mkdir(parents=True, exist_ok=True)
        return _run(config, args.config, args.out)
    except ConfigError as exc:
        print(f"loadtests.run: {exc.message}", file=sys.stderr)
        return 2


def _run(config: RunConfig, config_path: Path, out_dir: Path) -> int:
    from loadtests.runner import run_load
    from loadtests.workers import WorkersMissing

    try:
        return run_load(config, config_path, out_dir)
    except WorkersMissing as exc:
        print(f"loadtests.run: {exc}", file=sys.stderr)
        return EXIT_NOT_RUN


if __name__ == "__main__":
    raise SystemExit(main())
