"""Start `erpops api` on loopback as a user would, and wait until it answers."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.e2e.cli import ERPOPS


@contextmanager
def running_api(env: dict[str, str], port: int, *, workers: int = 1, timeout_s: float = 60) -> Iterator[str]:
    """Yields the base URL of a live API server; stops it (and fails loudly if it died) afterwards."""
    log = tempfile.TemporaryFile("w+")  # a file, not a pipe: a chatty server can never block on it
    proc = subprocess.Popen([ERPOPS, "api", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
                            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise AssertionError(f"erpops api exited {proc.returncode}: {log.read()}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("erpops api did not become healthy")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
