"""Fixtures for driving erpops end to end: a free loopback port and an ERP database per test."""

from __future__ import annotations

import json
import os
import random
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import URL

from tests.conftest import state_dir
from tests.e2e.cli import run_erpops

_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port that is free now and that no other test of this session was given.

    A server may take seconds to bind its port, so: ports come from below Linux's ephemeral range (no outgoing
    connection takes one meanwhile), a port is never handed out twice, and each pytest-xdist worker draws from its
    own residue modulo the number of workers, so two workers never get the same port either.
    """
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    ports = range(20000 + worker, 32768, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    for _ in range(1000):
        port = random.choice(ports)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free loopback port found")


@pytest.fixture
def stack_env(cli_env: dict[str, str], new_database: Callable[[], URL]) -> Iterator[dict[str, str]]:
    """A user's environment for a whole stack: own state dir and port, stopped after the test.

    With ERPOPS_TEST_DATABASE_URL set the ERP database is a fresh one on that server; otherwise the
    stack uses its embedded default, as on a user's fresh machine.
    """
    cli_env["ERPOPS_PREFECT_PORT"] = str(free_port())
    if os.environ.get("ERPOPS_TEST_DATABASE_URL"):
        cli_env["ERPOPS_DATABASE_URL"] = new_database().render_as_string(hide_password=False)
    yield cli_env
    run_erpops("stop", env=cli_env, timeout=120)


@pytest.fixture
def db_env(cli_env: dict[str, str], new_database: Callable[[], URL]) -> dict[str, str]:
    """A user's environment pointing ERPOPS_DATABASE_URL at a fresh, empty database."""
    cli_env["ERPOPS_DATABASE_URL"] = new_database().render_as_string(hide_password=False)
    return cli_env


@pytest.fixture(scope="session")
def shared_stack() -> Iterator[dict[str, str]]:
    """One Prefect server (and embedded PostgreSQL for its state) for every migration test of the session."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERPOPS_", "PREFECT_"))}
    with state_dir("stack") as state:
        env |= {"ERPOPS_STATE_DIR": str(state), "ERPOPS_PREFECT_PORT": str(free_port()),
                "GX_ANALYTICS_ENABLED": "false"}
        started = run_erpops("server", env=env, timeout=180)
        assert started.returncode == 0, started.stderr
        yield env
        run_erpops("stop", env=env, timeout=120)


@pytest.fixture
def migrate_env(shared_stack: dict[str, str], new_database: Callable[[], URL]) -> dict[str, str]:
    """The shared stack, with a fresh ERP database at the newest schema."""
    env = dict(shared_stack)
    env["ERPOPS_DATABASE_URL"] = new_database().render_as_string(hide_password=False)
    upgraded = run_erpops("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    return env


@dataclass(frozen=True)
class DemoStack:
    """A stack after `erpops demo --json`: its environment and the demo's summary."""

    env: dict[str, str]
    summary: dict[str, Any]

    @property
    def prefect(self) -> str:
        """The Prefect server's address: its UIs at `/v2` and `/`, its API at `/api`."""
        return f"http://127.0.0.1:{self.env['ERPOPS_PREFECT_PORT']}"


@pytest.fixture(scope="session")
def demo_stack() -> Iterator[DemoStack]:
    """One `erpops demo` for every browser check of the PM's cockpit in the Prefect UI (a demo takes minutes).

    The stack is its own, not `shared_stack`: the other tests' runs publish artifacts under the same keys
    (`milestones`, `migration-quarantine`) and the checks open the newest version, which must be the demo's.
    ERPOPS_API_PORT is set before the demo, so its report links point where a test can start `erpops api`.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERPOPS_", "PREFECT_"))}
    with state_dir("demo") as state:
        env |= {"ERPOPS_STATE_DIR": str(state), "ERPOPS_PREFECT_PORT": str(free_port()),
                "ERPOPS_API_PORT": str(free_port()), "GX_ANALYTICS_ENABLED": "false"}
        try:
            demo = run_erpops("demo", "--json", env=env, timeout=900)
            assert demo.returncode == 0, demo.stderr[-2000:]
            yield DemoStack(env, json.loads(demo.stdout))
        finally:
            run_erpops("stop", env=env, timeout=120)
