"""The built-in load-test profiles, as a plan would write them: small enough for a 2-core laptop."""

from __future__ import annotations

from typing import Any

MIX = {"connector": 5, "shopper": 3, "warehouse": 1, "purchaser": 1, "manager": 1}
BUILT_IN: dict[str, dict[str, Any]] = {
    "smoke": {"users": 4, "spawn_rate": 4, "duration_s": 12, "weights": MIX,
              "thresholds": ["place_order: p(95) < 500", "p(95) < 1000", "fail_ratio < 0.01"]},
    "load": {"users": 20, "spawn_rate": 5, "duration_s": 60, "weights": MIX,
             "thresholds": ["place_order: p(95) < 500", "p(99) < 1500", "fail_ratio < 0.01"]},
    "stress": {"spawn_rate": 10, "weights": MIX,
               "steps": {"start_users": 4, "step_users": 4, "max_users": 40, "step_s": 10},
               "thresholds": ["place_order: p(95) < 300", "fail_ratio < 0.01"]},
    "soak": {"users": 8, "spawn_rate": 4, "duration_s": 120, "weights": MIX, "sample_every_s": 5,
             "thresholds": ["place_order: p(95) < 500 for 10s", "fail_ratio < 0.01"]},
}
