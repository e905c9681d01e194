"""The ERP API as a child process on loopback and a free port (what `erpops api` serves), for the load test.

Its log goes to a file, never a pipe, so a chatty server can never block on a full pipe.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from infra.errors import StackError


@dataclass(frozen=True)
class ServedApi:
    url: str
    pid: int | None  # None: a server someone else runs (`--api-url`), whose process we cannot see


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, *, timeout_s: float, process: subprocess.Popen[bytes] | None = None,
                 log: Path | None = None) -> None:
    """Until `url`/health answers 200; a StackError when the process dies or the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.is_file() else ""
            raise StackError(f"the ERP API exited with code {process.returncode} before answering: "
                             + (tail.strip().splitlines() or ["no output"])[-1])
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise StackError(f"the ERP API at {url} did not answer /health within {timeout_s:.0f} s")
        time.sleep(0.2)


@contextmanager
def serving_api(database_url: str, log: Path, *, app: str = "erpops.api.app:create_app",
                timeout_s: float = 60) -> Iterator[ServedApi]:
    """Start uvicorn with the ERP app on 127.0.0.1 and a free port; stop it when the block ends."""
    port = free_port()
    env = os.environ | {"ERPOPS_DATABASE_URL": database_url}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--no-access-log"],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, timeout_s=timeout_s, process=process, log=log)
        yield ServedApi(url=url, pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
