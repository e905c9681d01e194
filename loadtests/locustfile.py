"""Locust users of the ERP API for QA's own `locust` runs: the realistic mix, and the benchmark's users on request.

  ERPOPS_LOAD_CONFIG=lt.json locust -f loadtests/locustfile.py --host http://127.0.0.1:8000

ERPOPS_LOAD_CONFIG names a runner config (made by `python -m loadtests.seed`, or a load-test run's
CONFIG.json): its fixture (codes and tokens) and its weights; a config with `steps` also brings its StepShape.
ERPOPS_LOAD_WEIGHTS=connector=5,shopper=3,... overrides the weights. ERPOPS_LOAD_BENCH=1 adds the benchmark's
PlaceOrderUser and BareUpdateUser (they need ERPOPS_LOAD_TOKEN, ERPOPS_LOAD_SKUS and an API started with
ERPOPS_API_BENCH_ENDPOINTS=true); with it and no config, only those run.
Never import this module in a process that runs Prefect: Locust monkey-patches with gevent.
"""

from __future__ import annotations

import os
from pathlib import Path

from infra.errors import ConfigError
from loadtests.config import UserKind, load_config
from loadtests.shapes import StepShape
from loadtests.users import mix


def _weights(text: str) -> dict[UserKind, int]:
    try:
        return {UserKind(k.strip()): int(v) for k, _, v in (item.partition("=") for item in text.split(",") if item)}
    except ValueError as exc:
        raise SystemExit(f"ERPOPS_LOAD_WEIGHTS: {exc} (use e.g. connector=5,shopper=3)") from exc


_config_path = os.environ.get("ERPOPS_LOAD_CONFIG")
_bench = os.environ.get("ERPOPS_LOAD_BENCH", "").lower() in ("1", "true", "yes")
if _config_path:
    try:
        _config = load_config(Path(_config_path))
    except ConfigError as exc:
        raise SystemExit(f"ERPOPS_LOAD_CONFIG: {exc.message}") from exc
    _weighted = _config.weights | _weights(os.environ.get("ERPOPS_LOAD_WEIGHTS", ""))
    globals().update({user_class.__name__: user_class for user_class in mix(_config.fixture, _weighted)})
    if _config.steps is not None:
        _steps, _duration, _rate = _config.steps, _config.duration_s, _config.spawn_rate

        class StressShape(StepShape):
            """The config's step load (Locust uses a shape found in the locustfile instead of -u/-r/-t)."""

            def __init__(self) -> None:
                super().__init__(_steps, _duration, _rate)
elif not _bench:
    raise SystemExit("loadtests/locustfile.py: set ERPOPS_LOAD_CONFIG to a config made by `python -m loadtests.seed` "
                     "(or ERPOPS_LOAD_BENCH=1 for the benchmark's users); see docs/qa-guide.md")
if _bench:
    from loadtests.users.bench import BareUpdateUser, PlaceOrderUser  # noqa: F401 (Locust finds them here)
