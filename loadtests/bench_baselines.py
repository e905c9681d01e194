"""What `bench_migration.py` compares `erpops migrate` with: the same lines by raw COPY, by pandas `to_sql`, and
the ERP's own tables written set-wise (the floor under any loader that keeps the ERP's integrity); and the
fixed overhead of the migration against importing Prefect and GX."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from erp_models.enums import MigrationRunStatus

BIN = Path(sys.executable).parent


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True)


def raw_copy(url: str, path: Path) -> tuple[float, float]:
    """COPY of the file into a plain (logged, like every ERP table) table without indexes; then the time to build
    a unique btree index on (order_no, line) over it, as a table's primary key or legacy-key index costs."""
    with _connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_copy")
        conn.execute("CREATE TABLE bench_raw_copy (order_no text, platform text, created text, line int, "
                     "sku text, qty int, price numeric)")
        start = time.perf_counter()
        with conn.cursor().copy("COPY bench_raw_copy FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        copied = time.perf_counter() - start
        start = time.perf_counter()
        conn.execute("CREATE UNIQUE INDEX ON bench_raw_copy (order_no, line)")
        indexed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_raw_copy")
    return copied, indexed


def erp_tables_floor(url: str) -> float:
    """What the ERP tables alone cost: the migrated orders and their lines written again, set-wise, by two
    INSERT ... SELECT statements (every column copied; new ids, the orders under new external ids, the lines
    pointing at the new orders), with every index, check, unique constraint and foreign-key trigger of
    sales_orders and sales_order_lines, in one transaction that is rolled back. It leaves out what a loader
    adds: reading and parsing the file, transforming, gating, staging, the legacy-key map and the
    reconciliation. It is the floor of a loader that leaves the foreign keys to the tables' own triggers (one
    call per row); a loader that checks them set-wise, as `erpops migrate` does where the role may, can write
    the rows themselves faster."""
    with _connect(url) as conn:
        conn.execute("BEGIN")
        conn.execute("SET LOCAL jit = off")
        orders, lines = (int(conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0])
                         for t in ("sales_orders", "sales_order_lines"))
        statements = [_copy_rows(conn, "sales_orders", {"id": f"id + {orders}", "external_id": "external_id || '~'"}),
                      _copy_rows(conn, "sales_order_lines", {"id": f"id + {lines}",
                                                             "sales_order_id": f"sales_order_id + {orders}"})]
        start = time.perf_counter()
        for statement in statements:
            conn.execute(statement)
        elapsed = time.perf_counter() - start
        conn.execute("ROLLBACK")
    return elapsed


def _copy_rows(conn: Any, table: str, changed: dict[str, str]) -> str:
    """INSERT ... SELECT of every row of ``table`` into itself, with ``changed`` columns computed."""
    columns = [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND table_schema = 'public' "
        "AND is_generated = 'NEVER' ORDER BY ordinal_position", (table,))]
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(changed.get(c, c) for c in columns)} FROM {table}")


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


def fixed_overhead(migrate: Any, directory: Path, write_one: Any, runs: int = 3) -> tuple[float, float]:
    """Seconds of an `erpops migrate` of a 1-row export end to end (``migrate(mapping)``), and of importing
    Prefect and GX in a fresh interpreter, which every such run must pay: the median of `runs` of each, taken
    in turn (each 1-row export is a new one, ``write_one(directory, n)``), so one stall of a shared machine does
    not decide the ratio."""
    ones, imports = [], []
    for n in range(runs):
        elapsed, run = migrate(write_one(directory, n))
        if run is None or run["status"] != MigrationRunStatus.PASSED:
            raise RuntimeError(f"the 1-row migration did not pass: {run and run['status']}")
        ones.append(elapsed)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import prefect, great_expectations"], check=True,
                       env={"GX_ANALYTICS_ENABLED": "false", "PATH": "/usr/bin:/bin"})
        imports.append(time.perf_counter() - start)
    return statistics.median(ones), statistics.median(imports)


def bench_dask(env: dict[str, str], mapping: Path, workers: int,
               migrate: Callable[..., tuple[float, dict[str, Any] | None]],
               print_phases: Callable[[dict[str, Any], float, str], None]) -> int:
    """The full load with its staging and upsert batches on a local Dask cluster of 1, then of `workers` workers,
    each into a fresh database; the speed-up between the two, and where the time went."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(subprocess.run([str(BIN / "erpops"), "db", "url", "--show-password"], env=env, check=True,
                                  capture_output=True, text=True).stdout.strip())
    times: dict[int, float] = {}
    for k in sorted({1, workers}):
        name = f"bench_dask_{k}"
        with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False),
                             autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}"), conn.execute(f"CREATE DATABASE {name}")
        run_env = env | {"ERPOPS_DATABASE_URL": url.set(database=name).render_as_string(hide_password=False)}
        subprocess.run([str(BIN / "erpops"), "db", "upgrade"], env=run_env, check=True, capture_output=True)
        print(f"full load on {k} Dask worker(s) ...", flush=True)
        times[k], run = migrate(run_env, mapping, "--dask-workers", str(k))
        if run is None or run["status"] != MigrationRunStatus.PASSED:
            return 2
        print_phases(run, times[k], f"the load on {k} worker(s)")
    speedup = times[1] / times[workers]
    print(f"\non 1 Dask worker: {times[1]:.1f} s; on {workers}: {times[workers]:.1f} s; speed-up {speedup:.2f}x "
          "(phases are summed over entities: with workers staging at once they add up to more than the wall time)")
    return 0
