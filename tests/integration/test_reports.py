"""Run reports over HTTP: with a token that may read reports, or through a signed link that opens its scope (a
file, or a report's folder) for a limited time, and nothing outside the report areas of the state directory."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from infra.report_links import signed_url
from infra.settings import Settings
from tests.integration.test_api_project import Server, serve

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def reports(new_database: Callable[[], URL], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    state = tmp_path_factory.mktemp("state")
    (state / "migrations" / "run-1" / "docs").mkdir(parents=True)
    (state / "migrations" / "run-1" / "quarantine.csv").write_text("entity,reason\nskus,bad price\n", encoding="utf-8")
    (state / "migrations" / "run-1" / "docs" / "index.html").write_text("<h1>docs</h1>", encoding="utf-8")
    (state / "migrations" / "run-1" / "docs" / "page.html").write_text("<h1>page</h1>", encoding="utf-8")
    (state / "backups").mkdir()
    (state / "backups" / "erp.dump").write_bytes(b"PGDMP secret")
    for server in serve(new_database, with_plan=False):
        app = server.client.app
        app.state.settings = Settings(state_dir=state, public_url=BASE)  # type: ignore[attr-defined]
        yield server


def settings_of(server: Server) -> Settings:
    settings: Settings = server.client.app.state.settings  # type: ignore[attr-defined]
    return settings


def link(server: Server, rel: str, *, folder: bool = False) -> str:
    settings = settings_of(server)
    with Session(create_engine(server.url)) as session:
        url = signed_url(session, settings.state_dir / rel, folder=folder, settings=settings)
        session.commit()
    assert url.startswith(f"{BASE}/reports/s/")
    return url.removeprefix(BASE)


def anonymous(server: Server) -> TestClient:
    return TestClient(server.client.app, base_url=BASE, raise_server_exceptions=False)


def test_a_token_that_reads_reports_opens_one_and_others_are_refused(reports: Server) -> None:
    path = "/reports/migrations/run-1/quarantine.csv"
    opened = reports.client.get(path, headers=reports.headers("pm"))
    assert opened.status_code == 200 and "bad price" in opened.text
    assert opened.headers["content-type"].startswith("text/csv")
    assert opened.headers["x-content-type-options"] == "nosniff"
    assert reports.client.get(path, headers=reports.headers("viewer")).status_code == 403
    assert anonymous(reports).get(path).status_code == 401


def test_a_signed_link_opens_its_file_without_a_token_and_nothing_else(reports: Server) -> None:
    url = link(reports, "migrations/run-1/quarantine.csv")
    client = anonymous(reports)
    assert client.get(url).status_code == 200
    token = url.split("/")[3]
    other = client.get(f"/reports/s/{token}/migrations/run-1/docs/index.html")
    assert other.status_code == 403 and other.json()["error"] == "link_refused"
    forged = client.get(f"/reports/s/{token[:-2]}xx/migrations/run-1/quarantine.csv")
    assert forged.status_code == 403


def test_a_folder_link_lets_a_sites_pages_link_to_each_other(reports: Server) -> None:
    url = link(reports, "migrations/run-1/docs/index.html", folder=True)
    client = anonymous(reports)
    assert "docs" in client.get(url).text
    assert "page" in client.get(url.replace("index.html", "page.html")).text
    assert client.get(url.replace("docs/index.html", "quarantine.csv")).status_code == 403


def test_a_link_expires(reports: Server) -> None:
    url = link(reports, "migrations/run-1/quarantine.csv")
    app = reports.client.app
    kept = settings_of(reports)
    app.state.settings = kept.model_copy(update={"report_link_ttl_h": 1 / 3600})  # type: ignore[attr-defined]
    try:
        time.sleep(2.1)
        expired = anonymous(reports).get(url)
    finally:
        app.state.settings = kept  # type: ignore[attr-defined]
    assert expired.status_code == 403 and "expired" in expired.json()["detail"]


@pytest.mark.parametrize("path", [
    "/reports/backups/erp.dump",
    "/reports/migrations/%2e%2e/backups/erp.dump",
    "/reports/migrations/run-1/..%2f..%2fbackups/erp.dump",
    "/reports/migrations/run-1/missing.csv",
    "/reports/migrations/run-1/bad%00name",
])
def test_nothing_outside_the_report_areas_is_served(reports: Server, path: str) -> None:
    response = reports.client.get(path, headers=reports.headers("admin"))
    assert response.status_code == 404, response.text
    assert b"PGDMP" not in response.content


def test_a_path_outside_the_state_directory_keeps_a_file_link(reports: Server, tmp_path: Path) -> None:
    elsewhere = tmp_path / "x.csv"
    elsewhere.write_text("a\n", encoding="utf-8")
    with Session(create_engine(reports.url)) as session:
        assert signed_url(session, elsewhere, settings=settings_of(reports)) == elsewhere.resolve().as_uri()
