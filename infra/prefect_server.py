"""A Prefect server on loopback, backed by PostgreSQL, that outlives the command that started it.

Its pid and port live in `<state_dir>/prefect-server.json`; starting it twice reuses the running
server, and `stop()` ends its whole process group.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from infra.errors import PortInUse, StackError

HOST = "127.0.0.1"


@dataclass(frozen=True)
class PrefectServer:
    """Where the server's state lives and how it is reached."""

    state_dir: Path
    port: int

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def _pid_file(self) -> Path:
        return self.state_dir / "prefect-server.json"

    @property
    def log(self) -> Path:
        return self.state_dir / "prefect-server.log"

    def running_pid(self) -> int | None:
        """The pid of our server when it is alive and answering on our port."""
        try:
            record = json.loads(self._pid_file.read_text())
        except (OSError, ValueError):
            return None
        pid = int(record.get("pid", 0))
        if record.get("port") != self.port or not _alive(pid) or not is_healthy(self.api_url):
            return None
        return pid

    def start(self, database_url: str, timeout_s: float) -> None:
        """Start the server (idempotent) and wait until its API is healthy."""
        if self.running_pid() is not None:
            return
        if not port_is_free(HOST, self.port):
            raise PortInUse(
                f"port {HOST}:{self.port} is already in use by another program; "
                "set ERPOPS_PREFECT_PORT to a free port or PREFECT_API_URL to an existing Prefect server"
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = prefect_client_env(self.state_dir, self.api_url) | {
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": database_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_API_URL": self.api_url,
        }
        env.pop("PREFECT_API_URL")  # the server must not act as a client of itself
        with self.log.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(self.port)],
                env=os.environ | env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._pid_file.write_text(json.dumps({"pid": proc.pid, "port": self.port}))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StackError(f"the Prefect server exited with code {proc.returncode}; see {self.log}")
            if is_healthy(self.api_url):
                return
            time.sleep(0.25)
        self.stop()
        raise StackError(f"the Prefect server was not healthy after {timeout_s:.0f} s; see {self.log}")

    def stop(self) -> bool:
        """Stop the server's process group; returns whether one was running."""
        try:
            pid = int(json.loads(self._pid_file.read_text())["pid"])
        except (OSError, ValueError, KeyError):
            return False
        self._pid_file.unlink(missing_ok=True)
        if not _alive(pid):
            return False
        os.killpg(pid, signal.SIGTERM)
        for _ in range(100):
            if not _alive(pid):
                return True
            time.sleep(0.1)
        os.killpg(pid, signal.SIGKILL)
        return True


def prefect_client_env(state_dir: Path, api_url: str) -> dict[str, str]:
    """Environment that points a Prefect client at `api_url`, with its home under the state dir."""
    return {
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str((state_dir / "prefect-home").resolve()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def is_healthy(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of this very process still "exists": reap it if so.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == 0
