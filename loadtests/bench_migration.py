"""Benchmark: 1M synthetic order lines through `erpops migrate` (extract, gate, stage, upsert, reconcile),
against a raw COPY of the same file into an unindexed table and pandas `DataFrame.to_sql`, in one run.

Prints rows/s of each, the ratios, and the migration's peak RSS. It also times what the ERP's
sales_order_lines table alone costs to write the same lines (indexes, checks, foreign keys): the floor
under any loader that keeps the ERP's integrity. Targets: at least 0.33 of raw COPY's
rows/s, and peak RSS at most 512 MiB. Uses a fresh embedded PostgreSQL (or a new database on the server
named by ERPOPS_BENCH_DATABASE_URL) and its own Prefect server; nothing else is touched.

`--mode delta` times a delta instead: the full load of the lines (orders and lines with a `created`
watermark), then 5 % new lines (newer orders) appended to the file and `erpops migrate --delta`. It prints
both times and their ratio; target: the delta takes at most 0.25 of the full load's time.

  .venv/bin/python loadtests/bench_migration.py [--lines 1000000] [--batch-size 100000] [--mode load|delta] [--port N]

Its Prefect server listens on a free loopback port unless --port names one, so two runs on one machine do not
collide.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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
SKUS, LINES_PER_ORDER = 2000, 5
TARGET_RATIO, TARGET_RSS_MIB = 0.33, 512
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


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True)


def raw_copy(url: str, path: Path) -> float:
    """COPY of the file into a plain (logged, like every ERP table) table without indexes."""
    with _connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_copy")
        conn.execute("CREATE TABLE bench_raw_copy (order_no text, platform text, created text, line int, "
                     "sku text, qty int, price numeric)")
        start = time.perf_counter()
        with conn.cursor().copy("COPY bench_raw_copy FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_raw_copy")
    return elapsed


def erp_insert_floor(url: str) -> float:
    """What the ERP table alone costs: one INSERT ... SELECT of the migrated lines again (new ids and line
    numbers) into sales_order_lines, with its indexes, checks and foreign keys, rolled back. No loader that
    keeps the ERP's integrity can write the lines faster than this."""
    with _connect(url) as conn:
        conn.execute("BEGIN")
        conn.execute("SET LOCAL jit = off")
        start = time.perf_counter()
        conn.execute("""INSERT INTO sales_order_lines (id, sales_order_id, line_no, sku_id, qty, unit_price)
                        SELECT id + (SELECT max(id) FROM sales_order_lines), sales_order_id, line_no + 1000, sku_id,
                               qty, unit_price FROM sales_order_lines""")
        elapsed = time.perf_counter() - start
        conn.execute("ROLLBACK")
    return elapsed


def to_sql(url: str, path: Path) -> float:
    import pandas as pd
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    start = time.perf_counter()
    frame = pd.read_csv(path)
    frame.to_sql("bench_to_sql", engine, if_exists="replace", index=False, chunksize=50_000)
    elapsed = time.perf_counter() - start
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_to_sql"))
    engine.dispose()
    return elapsed


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
    ratio = delta_s / full_s
    lines_delta = delta["entities"]["sales_order_lines"]
    ok = (full["status"] == delta["status"] == "passed" and ratio <= TARGET_DELTA_RATIO
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
    args = parser.parse_args()
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
            url = subprocess.run([str(BIN / "erpops"), "db", "url", "--show-password"], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip()
            print("migrating ...", flush=True)
            start = time.perf_counter()
            done = subprocess.run([str(BIN / "erpops"), "migrate", "--mapping", str(mapping), "--json"], env=env,
                                  capture_output=True, text=True)
            migrate_s = time.perf_counter() - start
            peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if done.returncode != 0:
                print(done.stderr[-3000:])
                return 2
            run = json.loads(done.stdout)
            lines = run["entities"]["sales_order_lines"]
            print("the ERP table's own cost ...", flush=True)
            floor_s = erp_insert_floor(url)
            print("raw COPY ...", flush=True)
            copy_s = raw_copy(url, work / "lines.csv")
            print("DataFrame.to_sql ...", flush=True)
            to_sql_s = to_sql(url, work / "lines.csv")
        finally:
            subprocess.run([str(BIN / "erpops"), "stop"], env=env, capture_output=True)
            EmbeddedPostgres(state).stop()
    n = args.lines
    rate, copy_rate, sql_rate = n / migrate_s, n / copy_s, n / to_sql_s
    print(f"\nerpops migrate: {n:,} order lines (+ {run['entities']['sales_orders']['loaded']:,} orders, {SKUS} SKUs) "
          f"in {migrate_s:.1f} s = {rate:,.0f} lines/s; status {run['status']}, loaded {lines['loaded']:,}, "
          f"reconciled {lines['reconciliation']['ok']}")
    print(f"raw COPY:       {copy_s:.1f} s = {copy_rate:,.0f} rows/s")
    print(f"to_sql:         {to_sql_s:.1f} s = {sql_rate:,.0f} rows/s")
    print(f"ERP table alone (INSERT ... SELECT of the lines, indexes and foreign keys, no loader): {floor_s:.1f} s "
          f"= {n / floor_s:,.0f} rows/s, {n / floor_s / copy_rate:.3f} of raw COPY")
    print(f"ratio migrate/COPY = {rate / copy_rate:.3f} (target >= {TARGET_RATIO}); "
          f"migrate/to_sql = {rate / sql_rate:.2f}; migrate/ERP table alone = {rate * floor_s / n:.2f}")
    print(f"peak RSS of the migration process: {peak_mib:.0f} MiB (target <= {TARGET_RSS_MIB})")
    ok = rate / copy_rate >= TARGET_RATIO and peak_mib <= TARGET_RSS_MIB and run["status"] == "passed"
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
