"""Benchmark: place-order throughput through the API against a bare one-UPDATE endpoint on the same server.

Both are driven by Locust (FastHttpUser, same concurrency, same duration) in its own process, one after
the other in one run. Prints both RPS figures, both p95s and the ratio. Targets: ratio >= 0.5 and
place-order p95 <= 50 ms. The database is a fresh embedded PostgreSQL (or a new database on the server
named by ERPOPS_BENCH_DATABASE_URL); nothing else is touched.

  .venv/bin/python loadtests/bench_api.py [--users 10] [--seconds 15] [--workers 1] [--port N]

The API listens on a free loopback port unless --port names one, so two runs on one machine do not collide.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET_RATIO, TARGET_P95_MS = 0.5, 50.0
SKUS, UNITS = 50, 1_000_000


def fresh_database(state_dir: Path) -> str:
    external = os.environ.get("ERPOPS_BENCH_DATABASE_URL")
    if not external:
        from infra.embedded_pg import EmbeddedPostgres

        pg = EmbeddedPostgres(state_dir)
        pg.start()
        pg.ensure_databases(("erp",))
        return pg.url("erp")
    from sqlalchemy.engine import make_url

    from infra.settings import normalize_database_url

    base = make_url(normalize_database_url(external))
    name = f"erpops_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base.set(drivername="postgresql", database="postgres").render_as_string(False),
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def erpops(*args: str, env: dict[str, str]) -> str:
    return subprocess.run([str(BIN / "erpops"), *args], env=env, check=True, capture_output=True, text=True).stdout


def seed(base: str, token: str) -> list[str]:
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
        client.post("/api/v1/warehouses", json={"code": "WH-BENCH", "name": "压测仓"}).raise_for_status()
        codes = []
        for n in range(SKUS):
            code = f"BENCH-{n:03d}"
            client.post("/api/v1/skus", json={"code": code, "product_code": f"BP-{n:03d}", "product_name": "压测商品",
                                              "category_code": "BENCH", "category_name": "压测",
                                              "list_price": 4990}).raise_for_status()
            client.post("/api/v1/stock/adjustments", json={"sku": code, "warehouse": "WH-BENCH", "delta": UNITS,
                                                           "reason": "benchmark stock"}).raise_for_status()
            codes.append(code)
    return codes


def run_locust(user_class: str, base: str, env: dict[str, str], users: int, seconds: float) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "loadtests.locust_runner", "--host", base, "--user-class", user_class,
         "--users", str(users), "--seconds", str(seconds)],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=seconds + 120,
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=None, help="the API's port (default: a free one)")
    args = parser.parse_args()
    if args.port is None:
        from infra.api_process import free_port

        args.port = free_port()

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="erpops-bench-") as tmp:
        state = Path(tmp) / "state"
        url = fresh_database(state)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ERPOPS_")}
        env |= {"ERPOPS_DATABASE_URL": url, "ERPOPS_STATE_DIR": str(state), "ERPOPS_API_BENCH_ENDPOINTS": "true"}
        erpops("db", "upgrade", env=env)
        token = erpops("token", "create", "--user", "bench", "--role", "channel_integration", env=env).strip()
        admin = erpops("token", "create", "--user", "bench-admin", "--role", "admin", env=env).strip()
        base = f"http://127.0.0.1:{args.port}"
        argv = [str(BIN / "erpops"), "api", "--port", str(args.port), "--workers", str(args.workers)]
        server = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_healthy(base, server)
            skus = seed(base, admin)
            load_env = env | {"ERPOPS_LOAD_TOKEN": token, "ERPOPS_LOAD_SKUS": ",".join(skus)}
            bare = run_locust("BareUpdateUser", base, load_env, args.users, args.seconds)
            place = run_locust("PlaceOrderUser", base, load_env, args.users, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
            if not os.environ.get("ERPOPS_BENCH_DATABASE_URL"):
                from infra.embedded_pg import EmbeddedPostgres

                EmbeddedPostgres(state).stop()
    return report(bare, place, args)


def wait_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    import time

    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"erpops api exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("erpops api did not become healthy")


def report(bare: dict[str, object], place: dict[str, object], args: argparse.Namespace) -> int:
    ratio = float(place["rps"]) / float(bare["rps"])  # type: ignore[arg-type]
    p95 = float(place["p95_ms"])  # type: ignore[arg-type]
    print(f"concurrency: {args.users} Locust FastHttpUsers, {args.seconds:.0f} s each, {args.workers} API worker(s)")
    for name, r in (("bare UPDATE", bare), ("place order", place)):
        print(f"{name:12} {float(r['rps']):8.1f} rps   p50 {r['p50_ms']} ms   p95 {r['p95_ms']} ms   "  # type: ignore[arg-type]
              f"p99 {r['p99_ms']} ms   requests {r['requests']}   failures {r['failures']}")
    print(f"ratio place/bare = {ratio:.2f} (target >= {TARGET_RATIO}); place-order p95 {p95:.0f} ms "
          f"(target <= {TARGET_P95_MS:.0f} ms)")
    ok = ratio >= TARGET_RATIO and p95 <= TARGET_P95_MS and not place["failures"] and not bare["failures"]
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
