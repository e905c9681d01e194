"""Settings: where erpops reads its configuration, and how bad values are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.errors import ConfigError
from infra.settings import Settings, get_settings, normalize_database_url


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ERPOPS_DATABASE_URL", "PREFECT_API_URL", "ERPOPS_PREFECT_PORT"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


def test_no_database_url_means_the_embedded_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert get_settings().database_url is None


def test_postgres_urls_are_switched_to_the_psycopg_driver() -> None:
    assert normalize_database_url("postgresql://u:p@db:5432/erp") == "postgresql+psycopg://u:p@db:5432/erp"
    assert normalize_database_url("postgres://u@db/erp").startswith("postgresql+psycopg://")


def test_the_password_stays_secret_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPOPS_DATABASE_URL", "postgresql://u:hunter2@db/erp")
    assert "hunter2" not in repr(get_settings())
    assert get_settings().database_url is not None


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("not a url", "not a database URL"),
        ("sqlite:///erp.db", "PostgreSQL only"),
        ("postgresql://u@db:5432", "names no database"),
    ],
)
def test_a_malformed_database_url_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, raw: str, complaint: str
) -> None:
    monkeypatch.setenv("ERPOPS_DATABASE_URL", raw)
    with pytest.raises(ConfigError) as caught:
        get_settings()
    assert caught.value.message.startswith("invalid configuration ERPOPS_DATABASE_URL:")
    assert complaint in caught.value.message
    assert "\n" not in caught.value.message


def test_a_port_out_of_range_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPOPS_PREFECT_PORT", "70000")
    with pytest.raises(ConfigError, match="ERPOPS_PREFECT_PORT"):
        get_settings()


def test_prefect_api_url_is_read_from_prefects_own_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4999/api")
    assert Settings().prefect_api_url == "http://127.0.0.1:4999/api"


def test_dotenv_is_read_from_the_working_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ERPOPS_PREFECT_PORT=4321\n")
    monkeypatch.chdir(tmp_path)
    assert get_settings().prefect_port == 4321
