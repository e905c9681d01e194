"""`erpops loadtest worker`: Locust worker processes on this host for a load-test run's master on another host.

The workers get everything from the master (the mix, the run's data and tokens, the API's address), so this host
needs only erpops installed and network access to the master's port and to the API. Locust runs in the
subprocesses (`python -m loadtests.run --worker`), never in this one.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from infra.errors import StackError

DEFAULT_MASTER_PORT = 5557  # loadtests.config.DEFAULT_MASTER_PORT (not imported: keep this process light)


class WorkerFailed(StackError):
    """A worker could not join its master or ended badly."""

    exit_code = 4


def worker(
    master_host: Annotated[str, typer.Option("--master-host", metavar="HOST", help="The load-test run's master.")],
    master_port: Annotated[int, typer.Option("--master-port", min=1, max=65535, metavar="P", help="Its port.")]
    = DEFAULT_MASTER_PORT,
    processes: Annotated[int, typer.Option("--processes", min=1, max=64, metavar="K",
                                           help="Worker processes to run (one per core).")] = 1,
    connect_timeout: Annotated[float, typer.Option("--connect-timeout", min=1, max=3600, metavar="S",
                                                   help="Give up when the master cannot be reached in S s.")] = 120,
) -> None:
    """Run K Locust workers for a load-test run's master at HOST:P (`erpops loadtest run --remote-workers N`).

    They receive the run's config from the master, run their share of the users and exit when it ends the run.

    Exit 0 when every worker finished its run, 4 when one could not reach the master or failed."""
    env = dict(os.environ)
    root = _package_root()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-m", "loadtests.run", "--worker", "--master-host", master_host,
               "--master-port", str(master_port), "--connect-timeout", f"{connect_timeout:g}"]
    typer.echo(f"erpops: {processes} Locust worker(s) joining the master at {master_host}:{master_port}", err=True)
    procs = [subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL) for _ in range(processes)]
    try:
        codes = [proc.wait() for proc in procs]
    except KeyboardInterrupt:
        _stop(procs)
        raise typer.Exit(130) from None
    failed = [c for c in codes if c != 0]
    if failed:
        raise WorkerFailed(f"{len(failed)} of {processes} Locust worker(s) failed (exit {failed[0]}); "
                           "see the lines above")
    typer.echo(f"erpops: the run at {master_host}:{master_port} ended; {processes} worker(s) done", err=True)


def _package_root() -> Path:
    """The directory holding the `loadtests` package, so that the subprocesses find it from any directory."""
    spec = importlib.util.find_spec("loadtests")
    if spec is None or not spec.submodule_search_locations:
        raise WorkerFailed("the loadtests package is not installed with this erpops")
    return Path(next(iter(spec.submodule_search_locations))).parent


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    deadline = time.monotonic() + 10
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
