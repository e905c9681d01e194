"""Benchmark: a 2,000-order `erpops sample-data` export (twelve entities, about 9,400 rows) through `erpops migrate`,
this checkout against an earlier commit, in one run: rounds alternate between the two, so a machine whose speed
drifts slows both alike.

The earlier commit defaults to def1081, the migration before it became one typed service (issue 15's starting
point). Each load runs in a fresh state dir of its own: an embedded PostgreSQL and a Prefect server on a free
loopback port, both started (and the schema upgraded) before the timing starts, so the time is what a user waits
for `erpops migrate` on a running stack: interpreter start, imports, the stack check, the flow and every entity.
It prints each load's time, the mean of each side and their ratio. Target: this checkout at least 2x faster.

  .venv/bin/python loadtests/bench_sample_data.py [--orders 2000] [--against def1081] [--rounds 2]

The earlier commit is cloned from this repository into a temporary directory and run with this checkout's virtual
environment (its code first on PYTHONPATH); both are compiled to bytecode first, as an installed package is.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
from erp_models.enums import MigrationRunStatus  # noqa: E402
from infra.api_process import free_port  # noqa: E402

TARGET_SPEEDUP = 2.0
DEFAULT_AGAINST = "def1081"


def load_once(code: Path, state: Path, orders: int) -> float:
    """Seconds of `erpops migrate` of a fresh sample-data export into a fresh stack, with the code at `code`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERPOPS_", "PREFECT_"))}
    env |= {"ERPOPS_STATE_DIR": str(state / "state"), "ERPOPS_PREFECT_PORT": str(free_port()),
            "GX_ANALYTICS_ENABLED": "false", "PYTHONPATH": str(code)}

    def erpops(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "erpops"), *args], env=env, cwd=state, capture_output=True, text=True)

    state.mkdir(parents=True)
    try:
        for step in (("server",), ("db", "upgrade"), ("sample-data", str(state / "legacy"), "--orders", str(orders),
                                                      "--seed", "7")):
            done = erpops(*step)
            if done.returncode != 0:
                raise RuntimeError(f"erpops {' '.join(step)} failed: {done.stderr[-2000:]}")
        start = time.perf_counter()
        done = erpops("migrate", "--mapping", str(state / "legacy" / "mapping.yaml"), "--json")
        elapsed = time.perf_counter() - start
    finally:
        erpops("stop")
    run = json.loads(done.stdout) if done.stdout.strip() else {}
    if run.get("status") != MigrationRunStatus.PASSED:
        raise RuntimeError(f"the load with {code} did not pass: {run.get('status')} {done.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description="a sample-data load, this checkout against an earlier commit")
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--against", default=DEFAULT_AGAINST, help="the earlier commit (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="erpops-bench-sample-") as tmp:
        earlier = Path(tmp) / "earlier"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(earlier)], check=True)
        subprocess.run(["git", "-C", str(earlier), "checkout", "-q", args.against], check=True)
        skip = re.compile(r"/(\.venv|\.git|\.erpops|node_modules)/")
        for code in (ROOT, earlier):
            compileall.compile_dir(code, quiet=1, rx=skip)
        times: dict[str, list[float]] = {"this checkout": [], args.against: []}
        for round_no in range(1, args.rounds + 1):
            for label, code in ((args.against, earlier), ("this checkout", ROOT)):
                print(f"round {round_no}: {label} ...", flush=True)
                times[label].append(load_once(code, Path(tmp) / f"{label.replace(' ', '-')}-{round_no}",
                                              args.orders))
                print(f"  {times[label][-1]:.1f} s", flush=True)
    mean = {label: sum(values) / len(values) for label, values in times.items()}
    speedup = mean[args.against] / mean["this checkout"]
    print(f"\n{args.orders:,}-order sample-data load: {args.against} {mean[args.against]:.1f} s, this checkout "
          f"{mean['this checkout']:.1f} s (means of {args.rounds})")
    met = speedup >= TARGET_SPEEDUP
    print(f"speed-up = {speedup:.2f}x   target >= {TARGET_SPEEDUP}x: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
