"""Which load a run makes: a profile of the plan's `loadtest:` section (or the built-in ones), with the command
line's overrides applied, as the runner's config needs it.

No Prefect import here: the CLI checks its input with it before the stack is up and Prefect pointed at it."""

from __future__ import annotations

import math
from pathlib import Path

from erp_models.loadtest.profiles import MAX_S, LoadTestSpec, ProfileName, default_spec
from infra.errors import ConfigError
from tasks.loadtest.models import LoadPlan, RemoteWorkers, StepsPlan

SAMPLE_EVERY_S = 5.0  # how often the API's memory and connections are sampled when the profile does not say


def load_spec(plan_file: str | None) -> tuple[LoadTestSpec, str]:
    """The plan's load-test profiles (built-in ones when it has none), and where they came from."""
    if not plan_file:
        return default_spec(), "built-in profiles"
    from erp_models.project.spec import load_plan

    path = Path(plan_file)
    if not path.is_file():
        raise ConfigError(f"{plan_file}: plan file not found")
    plan, _ = load_plan(path)
    return (plan.loadtest or default_spec()), str(path)


def resolve_plan(profile: str, *, plan_file: str | None = None, users: int | None = None,
                 duration_s: float | None = None, workers: int = 1, remote: RemoteWorkers | None = None) -> LoadPlan:
    """The profile with `--users` and `--duration` applied. For stress, `--users` is the top step's users and
    `--duration` the whole climb (each step lasts an equal share of it)."""
    try:
        name = ProfileName(profile)
    except ValueError:
        raise ConfigError(f"--profile: {profile!r} is not one of {', '.join(p.value for p in ProfileName)}") from None
    spec, source = load_spec(plan_file)
    chosen = spec.profile(name)
    if duration_s is not None and duration_s > MAX_S:
        raise ConfigError(f"--duration {duration_s:g} is longer than {MAX_S} s: every load run is bounded")
    if chosen.steps is not None and users is not None and users < chosen.steps.start_users:
        raise ConfigError(f"--users {users} is below the stress profile's start_users {chosen.steps.start_users}")
    try:  # the profile's own bounds (users, durations); a stress climb's duration is spread over its steps below
        chosen = chosen.overridden(users=users, duration_s=None if chosen.steps else duration_s)
    except ValueError as exc:
        raise ConfigError(f"--users/--duration: {exc}") from None
    steps = None
    if chosen.steps is not None:
        top = chosen.steps.max_users
        count = math.ceil((top - chosen.steps.start_users) / chosen.steps.step_users) + 1
        step_s = duration_s / count if duration_s else chosen.steps.step_s
        steps = StepsPlan(start_users=chosen.steps.start_users, step_users=chosen.steps.step_users, max_users=top,
                          step_s=step_s)
        users, duration_s = top, count * step_s
    return LoadPlan(
        profile=name.value, users=users or chosen.users, spawn_rate=chosen.spawn_rate,
        duration_s=duration_s or chosen.duration_s, weights={k.value: w for k, w in chosen.weights.items()},
        thresholds=[t if isinstance(t, str) else t.model_dump(exclude_none=True) for t in chosen.thresholds],
        steps=steps, workers=workers, **(remote or RemoteWorkers()).model_dump(),
        sample_every_s=chosen.sample_every_s or SAMPLE_EVERY_S, source=source)

