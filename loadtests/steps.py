"""The step windows a run goes through: the stress profile's steps, or one window for the other profiles.

No locust import (the test suite plans steps too); loadtests.shapes turns them into a LoadTestShape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
