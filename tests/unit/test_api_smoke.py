"""The smoke test's report: an API that cannot be reached is a failed step, never an exception."""

from __future__ import annotations

import socket

from erp_models.cutover.smoke_data import SALES, WAREHOUSE, SmokeFixture
from tasks.cutover.api_smoke import StepName, run_api_smoke


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def test_an_unreachable_api_fails_the_first_step_with_no_status_code() -> None:
    fixture = SmokeFixture(tag="SMOKE-000000", sku="SMOKE-000000-0001", warehouse="SMOKE-000000-WH", channel="webshop",
                           customer_ref="SMOKE-000000-buyer", stock=10, unit_price=100,
                           tokens={SALES: "erp_x_y", WAREHOUSE: "erp_x_z"})

    report = run_api_smoke(f"http://127.0.0.1:{_closed_port()}", fixture)

    assert report.ok is False and report.failed_step == StepName.STOCK_BEFORE
    assert [(s.name, s.ok, s.status_code) for s in report.steps] == [(StepName.STOCK_BEFORE, False, None)]
    assert "ConnectError" in report.steps[0].detail
