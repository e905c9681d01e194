"""Benchmark: 1M synthetic order lines (200k orders) through `erpops migrate` (extract, transform, gate, stage,
resolve, upsert, reconcile), against what a team would script instead, in one run:

- pandas `DataFrame.to_sql` of the file into a plain table;
- a raw COPY of the file into an unindexed table;
- "the ERP tables alone": the same orders and lines written set-wise into the constrained ERP tables
  (`bench_baselines.erp_tables_floor` says what that includes), the floor under any loader that keeps the
  ERP's integrity with the tables' own foreign-key triggers;
- the fixed overhead: a 1-row export through `erpops migrate`, end to end, against
  `python -c "import prefect, great_expectations"`: the median of 3 of each, taken first, on the quiet stack.

It prints rows/s and the ratios, the migration's peak RSS, and where the migration's time went per phase
(the run's own per-entity timings; "start-up and the rest" is the wall time the phases do not cover:
interpreter start, imports, the stack check, Prefect's bookkeeping). Targets: migrate rows/s at least 0.7 of
to_sql's and 0.5 of the ERP tables' floor, the fixed overhead at most 1.5 times the import time, peak RSS at
most 512 MiB. Uses a fresh embedded PostgreSQL (or a new database on the server named by
ERPOPS_BENCH_DATABASE_URL) and its own Prefect server; nothing else is touched.

`--dask-workers K` times the full load with its staging and upsert batches on a local Dask cluster (`erpops migrate
--dask-workers`) of 1 worker, then of K, each into a fresh database, and prints the speed-up.

`--mode delta` times a delta instead: the full load of the lines (orders and lines with a `created`
watermark), then 5 % new lines (newer orders) appended to the file and `erpops migrate --delta`. It prints
both times and their ratio; target: the delta takes at most 0.25 of the full load's time.

  .venv/bin/python loadtests/bench_migration.py [--lines 1000000] [--batch-size 100000] [--mode load|delta]
      [--dask-workers K] [--port N]

Its Prefect server listens on a free loopback port unless --port names one, so two runs on one machine do not
collide. It first compiles erpops's modules to bytecode, as an installed package has them.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
from erp_models.enums import MigrationRunStatus  # noqa: E402
from loadtests.bench_baselines import bench_dask, erp_tables_floor, fixed_overhead, raw_copy, to_sql  # noqa: E402

SKUS, LINES_PER_ORDER = 2000, 5
TO_SQL_TARGET, FLOOR_TARGET, OVERHEAD_TARGET, TARGET_RSS_MIB = 0.7, 0.5, 1.5, 512
DELTA_SHARE, TARGET_DELTA_RATIO = 0.05, 0.25

MAPPING = """name: bench-lines
batch_size: {batch}
entities:
  categories:
    target: categories
    source: {{csv: {{path: skus.csv}}}}
    legacy_key: "{{code}}"
    columns: {{code: {{value: BENCH}}, name: {{value: 压测类目}}}}
  products:
    target: products
    source: {{csv: {{path: skus.csv}}}}
    legacy_key: "{{sku}}"
    columns: {{code: {{from: sku}}, name: {{from: name}}, category_code: {{value: BENCH}}}}
  skus:
    target: skus
    source: {{csv: {{path: skus.csv}}}}
    legacy_key: "{{sku}}"
    columns: {{code: {{from: sku}}, product_code: {{from: sku}}, list_price: {{from: price}}}}
  sales_orders:
    target: sales_orders
    source: {{csv: {{path: lines.csv}}}}
    legacy_key: "{{order_no}}"
    dedupe: {{keep: last}}{watermark}
    columns:
      channel: {{from: platform}}
      external_id: {{from: order_no}}
      ordered_at: {{from: created, transforms: [{{date: {{formats: ["%Y-%m-%d %H:%M:%S"]}}}}]}}
      status: {{value: completed}}
      total: {{running_total: {{within: [order_no], quantity: qty, price: price}}}}
  sales_order_lines:
    target: sales_order_lines
    source: {{csv: {{path: lines.csv}}}}
    legacy_key: "{{order_no}}#{{line}}"{watermark}
    columns:
      order_key: {{from: order_no}}
      line_no: {{from: line}}
      sku_code: {{from: sku}}
      qty: {{from: qty}}
      unit_price: {{from: price}}
"""


def _line(rng: random.Random, n: int, month: str) -> str:
    order, line = divmod(n, LINES_PER_ORDER)
    sku, qty, price = rng.randrange(SKUS), rng.randint(1, 5), rng.randint(100, 99999) / 100
    platform = ("tmall", "jd", "pinduoduo", "douyin")[order % 4]
    return (f"B{order:08d},{platform},{month}-{1 + order % 28:02d} 10:{order % 60:02d}:00,"
            f"{line + 1},SKU-{sku:05d},{qty},{price:.2f}\n")


def write_data(directory: Path, lines: int, batch: int, watermark: bool = False) -> Path:
    rng = random.Random(7)
    with (directory / "skus.csv").open("w", encoding="utf-8") as out:
        out.write("sku,name,price\n")
        for n in range(SKUS):
            out.write(f"SKU-{n:05d},压测商品{n},{rng.randint(100, 99999) / 100:.2f}\n")
    with (directory / "lines.csv").open("w", encoding="utf-8") as out:
        out.write("order_no,platform,created,line,sku,qty,price\n")
        for n in range(lines):
            out.write(_line(rng, n, "2024-11"))
    mapping = directory / "mapping.yaml"
    mapping.write_text(MAPPING.format(batch=batch, watermark="\n    watermark: created" if watermark else ""),
                       encoding="utf-8")
    return mapping


def append_newer(directory: Path, lines: int, more: int) -> None:
    """`more` lines of new orders, created after every line before them (the delta's rows)."""
    rng = random.Random(8)
    with (directory / "lines.csv").open("a", encoding="utf-8") as out:
        for n in range(lines, lines + more):
            out.write(_line(rng, n, "2024-12"))


def _migrate(env: dict[str, str], mapping: Path, *extra: str) -> tuple[float, dict[str, Any] | None]:
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "erpops"), "migrate", "--mapping", str(mapping), *extra, "--json"], env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stderr[-3000:])
        return elapsed, None
    run: dict[str, Any] = json.loads(done.stdout)
    return elapsed, run


def bench_delta(env: dict[str, str], work: Path, mapping: Path, lines: int) -> int:
    """The full load, then a delta of 5 % new lines; the delta's time against the full load's."""
    print("full load ...", flush=True)
    full_s, full = _migrate(env, mapping)
    more = int(lines * DELTA_SHARE)
    append_newer(work, lines, more)
    print(f"appended {more:,} newer lines; delta ...", flush=True)
    delta_s, delta = _migrate(env, mapping, "--delta")
    if full is None or delta is None:
        return 2
    for name, run in (("full load", full), ("delta", delta)):
        entity = run["entities"]["sales_order_lines"]
        print(f"{name}: {run['status']} in {(full_s if run is full else delta_s):.1f} s; lines read "
              f"{entity['read']:,}, skipped {entity['skipped']:,}, loaded {entity['loaded']:,} (inserted "
              f"{entity['inserted']:,}), quarantined {entity['quarantined']}, rejected {entity['rejected']}; "
              f"orders loaded {run['entities']['sales_orders']['loaded']:,}")
    print_phases(delta, delta_s, "the delta's time")
    ratio = delta_s / full_s
    lines_delta = delta["entities"]["sales_order_lines"]
    ok = (full["status"] == delta["status"] == MigrationRunStatus.PASSED and ratio <= TARGET_DELTA_RATIO
          and (lines_delta["skipped"], lines_delta["inserted"]) == (lines, more))
    print(f"ratio delta/full load = {ratio:.3f} (target <= {TARGET_DELTA_RATIO})")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description="1M order lines through erpops migrate vs COPY and to_sql")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=100_000)
    parser.add_argument("--mode", choices=("load", "delta"), default="load",
                        help="load: the full load against COPY and to_sql; delta: a 5 %% delta against the full load")
    parser.add_argument("--port", type=int, default=None, help="the Prefect server's port (default: a free one)")
    parser.add_argument("--dask-workers", type=int, default=0, metavar="K",
                        help="time the full load with its staging and upsert batches on 1, then on K local Dask "
                        "workers instead")
    args = parser.parse_args()
    # erpops's own modules as an installed package has them: compiled (a machine that sets
    # PYTHONDONTWRITEBYTECODE would otherwise compile them again in every timed command).
    compileall.compile_dir(ROOT, quiet=1, rx=re.compile(r"/(\.venv|\.git|\.erpops|node_modules)/"))
    if args.port is None:
        from infra.api_process import free_port

        args.port = free_port()
    from infra.embedded_pg import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="erpops-bench-mig-") as tmp:
        work, state = Path(tmp), Path(tmp) / "state"
        print(f"writing {args.lines:,} order lines ...", flush=True)
        mapping = write_data(work, args.lines, args.batch_size, watermark=args.mode == "delta")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ERPOPS_", "PREFECT_"))}
        env |= {"ERPOPS_STATE_DIR": str(state), "ERPOPS_PREFECT_PORT": str(args.port), "GX_ANALYTICS_ENABLED": "false"}
        if os.environ.get("ERPOPS_BENCH_DATABASE_URL"):
            env["ERPOPS_DATABASE_URL"] = os.environ["ERPOPS_BENCH_DATABASE_URL"]
        subprocess.run([str(BIN / "erpops"), "server"], env=env, check=True, capture_output=True)
        try:
            subprocess.run([str(BIN / "erpops"), "db", "upgrade"], env=env, check=True, capture_output=True)
            if args.mode == "delta":
                return bench_delta(env, work, mapping, args.lines)
            if args.dask_workers:
                return bench_dask(env, mapping, args.dask_workers, _migrate, print_phases)
            url = subprocess.run([str(BIN / "erpops"), "db", "url", "--show-password"], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip()
            # The fixed overhead first, on a quiet stack: after a million rows PostgreSQL is still vacuuming and
            # writing them out, which a 1-row run would otherwise wait behind.
            print("1-row exports, and importing Prefect and GX (3 of each) ...", flush=True)
            one_s, imports_s = fixed_overhead(lambda m: _migrate(env, m), work / "one", write_one)
            print("migrating ...", flush=True)
            migrate_s, run = _migrate(env, mapping)
            peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if run is None:
                return 2
            print("the ERP tables alone ...", flush=True)
            floor_s = erp_tables_floor(url)
            print("raw COPY ...", flush=True)
            copy_s, index_s = raw_copy(url, work / "lines.csv")
            print("DataFrame.to_sql ...", flush=True)
            to_sql_s = to_sql(url, work / "lines.csv")
        finally:
            subprocess.run([str(BIN / "erpops"), "stop"], env=env, capture_output=True)
            EmbeddedPostgres(state).stop()
    return report(args.lines, run, migrate_s, peak_mib, floor_s, (copy_s, index_s), to_sql_s, one_s, imports_s)


def write_one(directory: Path, n: int = 0) -> Path:
    """The `n`th 1-row export (one SKU, one order line) under its own mapping name and keys."""
    directory = directory / str(n)
    directory.mkdir(parents=True)
    (directory / "skus.csv").write_text(f"sku,name,price\nONE{n}-00001,单行商品,9.90\n", encoding="utf-8")
    (directory / "lines.csv").write_text("order_no,platform,created,line,sku,qty,price\n"
                                         f"ONE{n}0000001,tmall,2024-11-01 10:00:00,1,ONE{n}-00001,1,9.90\n",
                                         encoding="utf-8")
    mapping = directory / "mapping.yaml"
    mapping.write_text(MAPPING.format(batch=1000, watermark="").replace("name: bench-lines", f"name: bench-one-{n}"),
                       encoding="utf-8")
    return mapping


def print_phases(run: dict[str, Any], wall_s: float, what: str) -> None:
    """Where a run's time went, per phase (the run's own timings, summed over its entities)."""
    print(f"\nwhere {what} went (seconds, summed over entities):")
    phases: dict[str, float] = {}
    for entity in run["entities"].values():
        for phase, seconds in entity.get("seconds", {}).items():
            phases[phase] = phases.get(phase, 0.0) + seconds
    for phase, seconds in [*phases.items(), ("start-up and the rest", wall_s - sum(phases.values()))]:
        print(f"  {phase:22} {seconds:6.1f}  {seconds / wall_s:6.1%}")


def report(n: int, run: dict[str, Any], migrate_s: float, peak_mib: float, floor_s: float,
           copied: tuple[float, float], to_sql_s: float, one_s: float, imports_s: float) -> int:
    copy_s, index_s = copied
    lines = run["entities"]["sales_order_lines"]
    orders = run["entities"]["sales_orders"]["loaded"]
    rate = n / migrate_s
    print(f"\nerpops migrate: {n:,} order lines (+ {orders:,} orders, {SKUS} SKUs) in {migrate_s:.1f} s = {rate:,.0f} "
          f"lines/s; status {run['status']}, loaded {lines['loaded']:,}, reconciled {lines['reconciliation']['ok']}")
    print(f"to_sql:                  {to_sql_s:.1f} s = {n / to_sql_s:,.0f} rows/s")
    print(f"raw COPY:                {copy_s:.1f} s = {n / copy_s:,.0f} rows/s; then a unique btree index over "
          f"them: {index_s:.1f} s = {n / index_s:,.0f} rows/s")
    print(f"the ERP tables alone:    {floor_s:.1f} s = {n / floor_s:,.0f} lines/s (with their {orders:,} orders)")
    print(f"1-row export end to end: {one_s:.1f} s; import prefect, great_expectations: {imports_s:.1f} s "
          "(medians of 3)")
    print_phases(run, migrate_s, "the migration's time")
    checks = [(f"migrate/to_sql rows/s = {to_sql_s / migrate_s:.2f}", f">= {TO_SQL_TARGET}",
               to_sql_s / migrate_s >= TO_SQL_TARGET),
              (f"migrate/ERP tables alone = {floor_s / migrate_s:.2f}", f">= {FLOOR_TARGET}",
               floor_s / migrate_s >= FLOOR_TARGET),
              (f"fixed overhead/imports = {one_s / imports_s:.2f}", f"<= {OVERHEAD_TARGET}",
               one_s / imports_s <= OVERHEAD_TARGET),
              (f"peak RSS = {peak_mib:.0f} MiB", f"<= {TARGET_RSS_MIB}", peak_mib <= TARGET_RSS_MIB)]
    print()
    for text, target, met in checks:
        print(f"{text:36} target {target:7}: {'met' if met else 'MISSED'}")
    print(f"(migrate/raw COPY rows/s = {copy_s / migrate_s:.3f})")
    ok = run["status"] == MigrationRunStatus.PASSED and all(met for _, _, met in checks)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
