"""Every phase's deployment (`infra/prefect.yaml`) registered against a Prefect server, and the process work pool
that workers poll for their runs.

Prefect's own `prefect deploy --all` does the registering, on a copy of the file with the pool and this
checkout's path filled in; the copy is kept under the state dir (`deployments.yaml`) for a look at what was sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.errors import StackError

DEPLOYMENTS_FILE = Path(__file__).with_name("prefect.yaml")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POOL = "erpops"
DEPLOY_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Registered:
    """One deployment as the server holds it after `register`."""

    name: str  # <flow>/<deployment>, as `prefect deployment run` and the UI name it
    id: str
    tags: list[str]
    schedules: int
    active_schedules: int
    url: str


def deployment_specs(pool: str, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """`infra/prefect.yaml` with every deployment on `pool` and its code pulled from `root`."""
    spec: dict[str, Any] = yaml.safe_load(DEPLOYMENTS_FILE.read_text(encoding="utf-8"))
    spec["pull"] = [{"prefect.deployments.steps.set_working_directory": {"directory": str(root)}}]
    for deployment in spec["deployments"]:
        deployment["work_pool"] = {**deployment.get("work_pool", {}), "name": pool}
    return spec


def ensure_work_pool(pool: str) -> bool:
    """Create the process work pool `pool` unless it exists; returns whether it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            found = client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
            return True
    if found.type != "process":
        raise StackError(f"work pool {pool!r} exists with type {found.type!r}; erpops workers need a process pool")
    return False


def register(pool: str, state_dir: Path, *, apply_schedules: bool, ui_url: str) -> list[Registered]:
    """Register every deployment in `infra/prefect.yaml` on `pool` (the server is the one PREFECT_API_URL names);
    with `apply_schedules`, turn their schedules on. Returns them as the server now holds them."""
    spec = deployment_specs(pool)
    state_dir.mkdir(parents=True, exist_ok=True)
    sent = (state_dir / "deployments.yaml").resolve()
    sent.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all", "--prefect-file", str(sent)],
        cwd=PROJECT_ROOT, env=os.environ | {"PWD": str(PROJECT_ROOT)}, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=DEPLOY_TIMEOUT_S,
    )
    if done.returncode != 0:
        last = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()][-5:]
        raise StackError(f"prefect deploy failed (exit {done.returncode}): " + " | ".join(last))
    # Every deployment is named after its flow (tests/unit/test_deployments.py checks it).
    return _as_registered([f"{d['name']}/{d['name']}" for d in spec["deployments"]],
                          apply_schedules=apply_schedules, ui_url=ui_url)


def _as_registered(names: list[str], *, apply_schedules: bool, ui_url: str) -> list[Registered]:
    from prefect.client.orchestration import get_client

    found = []
    with get_client(sync_client=True) as client:
        for name in names:
            deployment = client.read_deployment_by_name(name)
            if apply_schedules:
                for schedule in deployment.schedules:
                    if not schedule.active:
                        client.update_deployment_schedule(deployment.id, schedule.id, active=True)
                deployment = client.read_deployment_by_name(name)
            found.append(Registered(
                name=name, id=str(deployment.id), tags=list(deployment.tags), schedules=len(deployment.schedules),
                active_schedules=sum(1 for s in deployment.schedules if s.active),
                url=f"{ui_url}/deployments/deployment/{deployment.id}"))
    return found
