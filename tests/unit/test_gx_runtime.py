"""Starting GX leaves scipy.stats unloaded (GX imports it only for expectations the suites do not use), and it
still works where something uses it; within a validation each expectation's configuration is built once, with the
outcome of building it at every read."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest

from expectations import runtime
from expectations.gate import run_gate
from expectations.suites import resolve_suite
from tests.unit.gate_cases import FIRST_LABEL, clean_batch

PROBE = """
import sys
from expectations.runtime import _runtime
_runtime()
print(type(sys.modules["scipy.stats"]).__name__)
from scipy import stats
print(round(float(stats.entropy([0.5, 0.5], base=2)), 3))
print(type(sys.modules["scipy.stats"]).__name__)
"""


def test_gx_starts_without_loading_scipy_stats_which_loads_on_first_use() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["_LazyModule", "1.0", "module"]


def spoiled_orders() -> object:
    batch = clean_batch("sales_orders", rows=8)
    batch.loc[FIRST_LABEL + 1, "external_id"] = None
    batch.loc[FIRST_LABEL + 2, "channel"] = "淘" * 40
    batch.loc[[FIRST_LABEL + 3, FIRST_LABEL + 5], "legacy_key"] = "sales_orders:legacy-dup"
    batch.loc[FIRST_LABEL + 6, "total"] = -100
    return batch


def test_configurations_built_once_per_validation_give_what_building_them_at_every_read_gives(
        monkeypatch: pytest.MonkeyPatch) -> None:
    kept = run_gate(spoiled_orders(), "sales_orders")  # type: ignore[arg-type]
    monkeypatch.setattr(runtime, "_configurations_kept", contextlib.nullcontext)  # GX's own way: built at each read
    built_each_time = run_gate(spoiled_orders(), "sales_orders")  # type: ignore[arg-type]
    assert kept.to_json(include_rows=True) == built_each_time.to_json(include_rows=True)
    assert set(kept.failed_rows) == {FIRST_LABEL + n for n in (1, 2, 3, 5, 6)}


def test_outside_a_validation_an_expectations_configuration_is_built_at_every_read() -> None:
    specs = resolve_suite("sales_orders", severity=None, enabled=None)
    expectation = runtime.build_suite("sales_orders", specs, "legacy_key").expectations[0]
    assert expectation.configuration is not expectation.configuration
    assert expectation.configuration == expectation.configuration
    with runtime._configurations_kept():
        assert expectation.configuration is expectation.configuration
