"""Runs the load: the ERP API (unless one is given), Locust in a subprocess, and the resource sampler alongside.

Locust never runs in this process: its gevent monkey-patching hangs Prefect (see STACK-NOTES.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect import task

from infra.api_process import ServedApi, serving_api, wait_healthy
from infra.db import get_engine
from infra.errors import ConfigError, StackError
from infra.stack import database_url
from tasks.loadtest.models import WORKERS_WAIT_S, FixtureData, LoadPlan, LoadRunFiles, runner_config
from tasks.loadtest.monitor import ResourceSampler

SETUP_MARGIN_S = 120  # Locust's start-up, its workers, writing the reports


class LoadRunError(StackError):
    """The Locust runner crashed or hung: the run has no result to judge."""

    exit_code = 4


@contextmanager
def _api(api_url: str | None, log: Path) -> Iterator[ServedApi]:
    if api_url:
        url = api_url.rstrip("/")
        wait_healthy(url, timeout_s=15)
        yield ServedApi(url=url, pid=None)
        return
    with serving_api(database_url(), log) as served:
        yield served


@task
def run_load(plan: LoadPlan, fixture: FixtureData, api_url: str | None, run_dir: str) -> LoadRunFiles:
    """Serve the API when none is given, run `python -m loadtests.run` against it, and sample its resources."""
    folder = Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with _api(api_url, folder / "api.log") as api:
        config = folder / "CONFIG.json"
        config.write_text(json.dumps(runner_config(plan, fixture, api.url), indent=2), encoding="utf-8")
        os.chmod(config, 0o600)  # it holds the run's tokens (revoked when the run ends)
        with ResourceSampler(pid=api.pid, engine=get_engine(), every_s=plan.sample_every_s) as sampler:
            _run_locust(config, folder, timeout_s=plan.duration_s + SETUP_MARGIN_S + _wait_s(plan))
    (folder / "resources.json").write_text(sampler.report.model_dump_json(indent=2), encoding="utf-8")
    return LoadRunFiles(run_dir=str(folder), result_json=str(folder / "result.json"),
                        orders_jsonl=str(folder / "orders.jsonl"), report_html=str(folder / "report.html"),
                        api_url=api.url, api_started=api.pid is not None, resources=sampler.report)


def _wait_s(plan: LoadPlan) -> float:
    """A distributed run's master may wait this long for its workers before the load starts."""
    return WORKERS_WAIT_S if plan.workers > 1 or plan.remote_workers else 0.0


def _run_locust(config: Path, folder: Path, *, timeout_s: float) -> None:
    log = folder / "runner.log"
    with log.open("wb") as out:
        try:
            done = subprocess.run([sys.executable, "-m", "loadtests.run", "--config", str(config), "--out",
                                   str(folder)], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise LoadRunError(f"the Locust runner did not finish within {timeout_s:.0f} s; see {log}") from None
    last = (log.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
    if done.returncode == 2:
        raise ConfigError(f"the Locust runner refused its config: {last}")
    if done.returncode == 4:  # its workers did not all join: the runner's line says how many and where
        raise LoadRunError(last.removeprefix("loadtests.run: "))
    if done.returncode != 0 or not (folder / "result.json").is_file():
        raise LoadRunError(f"the Locust runner exited with code {done.returncode} ({last}); see {log}")
