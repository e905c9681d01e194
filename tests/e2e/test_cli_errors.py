"""Bad configuration ends with one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import socket
import subprocess

import pytest

from tests.e2e.cli import run_erpops


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    stderr = result.stderr.strip()
    assert result.returncode != 0
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1, stderr
    for fragment in fragments:
        assert fragment in stderr


def test_a_malformed_database_url(cli_env: dict[str, str]) -> None:
    cli_env["ERPOPS_DATABASE_URL"] = "postgresql//nowhere"
    assert_one_clear_line(run_erpops("db", "upgrade", env=cli_env), "ERPOPS_DATABASE_URL", "not a database URL")


def test_an_unreachable_database(cli_env: dict[str, str]) -> None:
    with socket.socket() as sock:  # a port that is certainly closed: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        cli_env["ERPOPS_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{port}/erp"
        result = run_erpops("db", "check", env=cli_env)
    assert_one_clear_line(result, "cannot connect to PostgreSQL", f"127.0.0.1:{port}")


@pytest.mark.slow
def test_a_prefect_port_already_taken(cli_env: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        cli_env["ERPOPS_PREFECT_PORT"] = str(port)
        result = run_erpops("server", env=cli_env)
    run_erpops("stop", env=cli_env)
    assert_one_clear_line(result, f"port 127.0.0.1:{port} is already in use")


def test_a_non_numeric_port(cli_env: dict[str, str]) -> None:
    cli_env["ERPOPS_PREFECT_PORT"] = "forty-two"
    assert_one_clear_line(run_erpops("server", env=cli_env), "ERPOPS_PREFECT_PORT")
