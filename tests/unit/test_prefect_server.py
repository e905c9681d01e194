"""The Prefect server wrapper: port checks and state files, without starting a server."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from infra.errors import PortInUse
from infra.prefect_server import PrefectServer, port_is_free


def test_a_listening_port_is_not_free() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert not port_is_free("127.0.0.1", sock.getsockname()[1])


def test_starting_on_a_taken_port_names_the_port_and_the_fix(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PortInUse) as caught:
            PrefectServer(tmp_path, port).start("postgresql+asyncpg://x@/prefect", timeout_s=1)
    assert f"127.0.0.1:{port}" in caught.value.message
    assert "ERPOPS_PREFECT_PORT" in caught.value.message


def test_stopping_a_server_that_never_ran_is_harmless(tmp_path: Path) -> None:
    assert PrefectServer(tmp_path, 4200).stop() is False
    assert PrefectServer(tmp_path, 4200).running_pid() is None
