"""The stress profile's step load as a Locust LoadTestShape, and the step windows it goes through."""

from __future__ import annotations

import math
from dataclasses import dataclass

from locust import LoadTestShape

from loadtests.config import Steps


@dataclass(frozen=True)
class StepWindow:
    """One step of a run: `users` from start_s to end_s (seconds since the run started)."""

    index: int
    users: int
    start_s: float
    end_s: float


def plan_steps(steps: Steps, duration_s: float) -> list[StepWindow]:
    """start_users, then step_users more every step_s, up to max_users (which gets one whole step too), and
    never past duration_s."""
    count = 1 + max(0, math.ceil((steps.max_users - steps.start_users) / steps.step_users))
    windows = []
    for index in range(count):
        start = index * steps.step_s
        if start >= duration_s:
            break
        users = min(steps.start_users + index * steps.step_users, steps.max_users)
        windows.append(StepWindow(index, users, start, min(start + steps.step_s, duration_s)))
    return windows


def single_step(users: int, duration_s: float) -> list[StepWindow]:
    """A profile without steps: one window of all its users for the whole run."""
    return [StepWindow(0, users, 0.0, duration_s)]


class StepShape(LoadTestShape):
    """Raises the user count step by step (plan_steps) and stops the run after the last step."""

    abstract = True  # built with its steps by the runner; a locustfile subclasses it (see locustfile.py)

    def __init__(self, steps: Steps, duration_s: float, spawn_rate: float) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.windows = plan_steps(steps, duration_s)
        self.spawn_rate = spawn_rate

    @property
    def total_s(self) -> float:
        return self.windows[-1].end_s if self.windows else 0.0

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()  # type: ignore[no-untyped-call]
        for window in self.windows:
            if window.start_s <= elapsed < window.end_s:
                return window.users, self.spawn_rate
        return None
