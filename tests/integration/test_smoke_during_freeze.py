"""The cutover's smoke test runs before the switch, while writes are frozen: its own users are exempted for the
run, every step passes, and the freeze is still on afterwards with no exemption left."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from erp_models.cutover.smoke_data import user_prefix
from erp_models.system.freeze import current_freeze, freeze, release
from erpops.api.app import create_app
from infra.settings import get_settings
from tasks.cutover.smoke import smoke_test

pytestmark = pytest.mark.slow
PORTS = range(8700, 8720)  # this helper's share of loopback ports


def _bound_socket() -> socket.socket:
    for port in PORTS:
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
            return sock
        except OSError:
            sock.close()
    raise AssertionError(f"no free port in {PORTS}")


@pytest.fixture
def api_url(migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The ERP API served by uvicorn in a thread on the test database, with the units of work pointed there."""
    from infra.db import forget_engines

    monkeypatch.setenv("ERPOPS_DATABASE_URL", migrated_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    forget_engines()
    sock = _bound_socket()
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        get_settings.cache_clear()
        forget_engines()


def _in_own_transaction(engine: Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]


def test_the_smoke_passes_during_a_freeze_which_stays_on_without_an_exemption(
    api_url: str, migrated_engine: Engine, tmp_path: Path
) -> None:
    with Session(migrated_engine) as session:
        freeze(session, by="cutover", reason="go-live", retry_after_s=30)
        session.commit()
    try:
        run = smoke_test(api_url=api_url, log_dir=tmp_path)
        with Session(migrated_engine) as session:
            still = current_freeze(session)
    finally:
        with Session(migrated_engine) as session:
            release(session, by="cutover")
            session.commit()

    assert run.report.ok, run.report.steps
    assert run.exempted == user_prefix(run.report.tag)
    assert still is not None and (still.reason, still.exempt_prefix) == ("go-live", None)
    assert (run.cleanup.skus_deactivated, run.cleanup.tokens_revoked, run.cleanup.stock_written_off) == (1, 2, 8)
    audited = _in_own_transaction(
        migrated_engine, "SELECT action FROM audit_log WHERE entity = 'api_freezes' AND detail->>'exempt_prefix' = :p "
        "ORDER BY id", p=run.exempted)
    assert audited == [("freeze_exempt",), ("freeze_exempt_end",)]


def test_without_a_freeze_the_smoke_exempts_nothing(api_url: str, migrated_engine: Engine, tmp_path: Path) -> None:
    run = smoke_test(api_url=api_url, log_dir=tmp_path)

    assert run.report.ok and run.exempted is None
    assert _in_own_transaction(migrated_engine, "SELECT count(*) FROM api_freezes WHERE exempt_prefix IS NOT NULL "
                                                "AND released_at IS NULL") == [(0,)]
