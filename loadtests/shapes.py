"""The stress profile's step load as a Locust LoadTestShape (the windows come from loadtests.steps)."""

from __future__ import annotations

from locust import LoadTestShape

from loadtests.config import Steps
from loadtests.steps import plan_steps


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
