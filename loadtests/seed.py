"""Make a load test's own data through the API and write a runner config for it, for QA's manual runs.

  python -m loadtests.seed --host http://127.0.0.1:8000 --token ADMIN_TOKEN --out lt.json
  [--skus 20] [--stock 100000] [--users 5] [--duration 30] [--token-for connector=erp_...]

creates a warehouse, SKUs with stock and a supplier whose codes carry a fresh tag (LT-xxxxxx), and writes a
CONFIG.json that `python -m loadtests.run` and `ERPOPS_LOAD_CONFIG=... locust -f loadtests/locustfile.py` read.
The admin token serves every kind of user unless --token-for gives one of its own (a role's token makes the
ERP check that role's permissions too). The load-test flow makes its fixture in the database instead.
No locust import: the test suite uses it too.
"""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path

import httpx

from loadtests.config import Fixture, RunConfig, UserKind


def seed_fixture(base_url: str, admin_token: str, *, skus: int = 20, stock: int = 100_000,
                 tokens: dict[UserKind, str] | None = None, tag: str | None = None) -> Fixture:
    """Create the tagged warehouse, SKUs (each with `stock` units) and supplier; the fixture naming them."""
    tag = tag or f"LT-{uuid.uuid4().hex[:6]}"
    auth = {"Authorization": f"Bearer {admin_token}"}
    codes = [f"{tag}-{n:04d}" for n in range(1, skus + 1)]
    with httpx.Client(base_url=base_url, headers=auth, timeout=30) as client:
        client.post("/api/v1/warehouses", json={"code": f"{tag}-WH", "name": "压测仓"}).raise_for_status()
        client.post("/api/v1/suppliers", json={"code": f"{tag}-SUP", "name": "压测供应商"}).raise_for_status()
        for code in codes:
            client.post("/api/v1/skus", json={"code": code, "product_code": code, "product_name": "压测商品",
                                              "category_code": f"{tag}-CAT", "category_name": "压测",
                                              "list_price": 4990}).raise_for_status()
            client.post("/api/v1/stock/adjustments", json={"sku": code, "warehouse": f"{tag}-WH", "delta": stock,
                                                           "reason": f"load test {tag}"}).raise_for_status()
    every = dict.fromkeys(UserKind, admin_token) | (tokens or {})
    return Fixture(tag=tag, warehouse=f"{tag}-WH", skus=codes, supplier=f"{tag}-SUP", channel="tmall",
                   customer_ref=f"{tag}-buyer", tokens=every)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True, help="the ERP API's base URL")
    parser.add_argument("--token", required=True, help="an admin token (erpops token create --role admin)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the runner config")
    parser.add_argument("--skus", type=int, default=20)
    parser.add_argument("--stock", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--token-for", action="append", default=[], metavar="KIND=TOKEN")
    args = parser.parse_args(argv)
    own = {UserKind(kind): token for kind, _, token in (item.partition("=") for item in args.token_for)}
    fixture = seed_fixture(args.host, args.token, skus=args.skus, stock=args.stock, tokens=own)
    config = RunConfig(host=args.host, users=args.users, spawn_rate=args.users, duration_s=args.duration,
                       fixture=fixture)
    args.out.write_text(json.dumps(config.model_dump(mode="json"), indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"{fixture.tag}: {len(fixture.skus)} SKUs with {args.stock} each in {fixture.warehouse}; "
          f"config in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
