"""What the load-test tasks pass each other: the resolved plan of one run, its fixture and its files."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from tasks.loadtest.monitor import ResourceReport

WORKERS_WAIT_S = 120.0  # how long a distributed run's master waits for all of its workers


class StepsPlan(BaseModel):
    start_users: int
    step_users: int
    max_users: int
    step_s: float


class RemoteWorkers(BaseModel):
    """Workers on other hosts: how many the master waits for, and where it listens for them."""

    remote_workers: int = Field(default=0, ge=0, le=256)
    master_bind: str = "127.0.0.1"
    master_port: int | None = Field(default=None, ge=1, le=65535)


class LoadPlan(BaseModel):
    """One profile with the command line's overrides applied: what CONFIG.json says besides host and fixture."""

    profile: str
    users: int
    spawn_rate: float
    duration_s: float
    weights: dict[str, int]
    thresholds: list[str | dict[str, Any]] = Field(default_factory=list)  # as the plan writes them
    steps: StepsPlan | None = None
    workers: int = 1
    remote_workers: int = 0  # workers from other hosts (`erpops loadtest worker`) the master waits for
    master_bind: str = "127.0.0.1"
    master_port: int | None = None  # None: a free port, or 5557 with remote workers
    sample_every_s: float = 5.0
    source: str = "built-in profiles"  # or the plan file's path


class FixtureData(BaseModel):
    """The contract's `fixture` object (erp_models.loadtest.prep.LoadFixture), as tasks pass it."""

    tag: str
    warehouse: str
    skus: list[str]
    supplier: str
    channel: str
    customer_ref: str
    tokens: dict[str, str] = Field(repr=False)


class LoadRunFiles(BaseModel):
    """Where one run's files are, and what the API's process did meanwhile."""

    run_dir: str
    result_json: str
    orders_jsonl: str
    report_html: str
    api_url: str
    api_started: bool
    resources: ResourceReport


def runner_config(plan: LoadPlan, fixture: FixtureData, host: str) -> dict[str, Any]:
    """The runner's CONFIG.json (see notes/loadtest-contract.md)."""
    return {"host": host, "profile": plan.profile, "users": plan.users, "spawn_rate": plan.spawn_rate,
            "duration_s": plan.duration_s, "weights": plan.weights, "thresholds": plan.thresholds,
            "steps": plan.steps.model_dump() if plan.steps else None, "workers": plan.workers,
            "master_host": None, "master_port": plan.master_port, "master_bind_host": plan.master_bind,
            "remote_workers": plan.remote_workers, "workers_wait_s": WORKERS_WAIT_S, "fixture": fixture.model_dump()}
