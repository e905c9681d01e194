"""Benchmark: wall time of `erpops --help` against `prefect --help` (target ≤ 0.5 s and ≤ 0.3×)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 7
TARGET_SECONDS = 0.5
TARGET_RATIO = 0.3


def time_command(argv: list[str], runs: int = RUNS) -> float:
    """Median wall time of `argv` over `runs` runs, after one warm-up run."""
    subprocess.run(argv, capture_output=True, check=True)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    bin_dir = Path(sys.executable).parent
    erpops = time_command([str(bin_dir / "erpops"), "--help"])
    prefect = time_command([str(bin_dir / "prefect"), "--help"])
    ratio = erpops / prefect
    ok = erpops <= TARGET_SECONDS and ratio <= TARGET_RATIO
    print(f"erpops --help   median {erpops * 1000:7.1f} ms over {RUNS} runs")
    print(f"prefect --help  median {prefect * 1000:7.1f} ms over {RUNS} runs")
    print(f"ratio erpops/prefect = {ratio:.3f} (target ≤ {TARGET_RATIO}); "
          f"erpops ≤ {TARGET_SECONDS * 1000:.0f} ms: {'yes' if erpops <= TARGET_SECONDS else 'no'}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
