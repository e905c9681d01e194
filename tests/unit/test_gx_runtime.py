"""Starting GX leaves scipy.stats unloaded (GX imports it only for expectations the suites do not use), and it
still works where something uses it."""

from __future__ import annotations

import subprocess
import sys

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
