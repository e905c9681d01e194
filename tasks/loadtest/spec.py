"""The task that resolves a run's profile (tasks.loadtest.profile does the work)."""

from __future__ import annotations

from prefect import task

from tasks.loadtest.models import LoadPlan, RemoteWorkers
from tasks.loadtest.profile import resolve_plan


@task
def resolve_load_plan(profile: str, plan_file: str | None, users: int | None, duration_s: float | None,
                      workers: int, remote: RemoteWorkers | None = None) -> LoadPlan:
    """The run's profile, overrides applied (see `resolve_plan`)."""
    return resolve_plan(profile, plan_file=plan_file, users=users, duration_s=duration_s, workers=workers,
                        remote=remote)
