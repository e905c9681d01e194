"""Run one Locust user class headless for a bounded time and print exact totals as one JSON line.

Locust's CSV undercounts and its JSON has no percentiles, so the benchmark reads the runner's
own statistics. Runs in its own process (gevent must never share a process with Prefect).
"""

from __future__ import annotations

import argparse
import json

import gevent
from locust.env import Environment

from loadtests.users import bench


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--user-class", required=True, choices=["PlaceOrderUser", "BareUpdateUser"])
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    args = parser.parse_args()

    env = Environment(user_classes=[getattr(bench, args.user_class)], host=args.host)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.users)
    gevent.sleep(args.warmup)
    env.stats.reset_all()  # measure the steady state, not connection set-up
    gevent.sleep(args.seconds)
    runner.quit()
    total = env.stats.total
    print(json.dumps({
        "user_class": args.user_class, "users": args.users, "seconds": args.seconds,
        "requests": total.num_requests, "failures": total.num_failures,
        "rps": total.num_requests / args.seconds,
        "p50_ms": total.get_response_time_percentile(0.50), "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        "errors": [str(e.error)[:200] for e in list(env.stats.errors.values())[:3]],
    }))


if __name__ == "__main__":
    main()
