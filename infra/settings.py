"""Settings from the environment and `.env`, read once through a cached `get_settings()`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.errors import ConfigError


class Settings(BaseSettings):
    """Every knob of erpops. Nothing here connects to anything."""

    model_config = SettingsConfigDict(env_prefix="ERPOPS_", env_file=".env", extra="ignore")

    database_url: SecretStr | None = Field(
        default=None, description="PostgreSQL URL of the ERP database; unset means the embedded server."
    )
    state_dir: Path = Field(default=Path(".erpops"), description="Where the embedded stack keeps its state.")
    prefect_api_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PREFECT_API_URL", "ERPOPS_PREFECT_API_URL"),
        description="An existing Prefect server's API; unset means erpops starts one on loopback.",
    )
    prefect_port: int = Field(default=4200, ge=1, le=65535)
    prefect_start_timeout_s: float = Field(default=90.0, gt=0)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_db_pool_size: int = Field(default=20, ge=1, description="Database connections per API worker.")
    api_auth_cache_s: float = Field(
        default=30.0, ge=0, description="How long a worker trusts a token it checked; revocation waits this long."
    )
    api_bench_endpoints: bool = Field(default=False, description="Mount the bare-UPDATE benchmark endpoint.")
    connect_timeout_s: int = Field(default=5, ge=1)
    dask_address: str | None = Field(
        default=None, description="A Dask scheduler (tcp://host:8786) that stages a migration's entities; unset "
        "means `erpops migrate --dask-workers K` starts a local cluster, and no Dask without it.",
    )
    migration_load_workers: int = Field(
        default=2, ge=1, le=8,
        description="Batches of one entity a migration loads at once, each on its own connection.",
    )

    backup_dir: Path | None = Field(
        default=None, description="Where `erpops backup` keeps dumps and manifests; unset means <state_dir>/backups."
    )
    backup_keep: int = Field(
        default=10, ge=1, description="How many newest backups of a database `erpops backup create` keeps."
    )
    drill_max_rpo_s: float | None = Field(
        default=None, gt=0, description="A restore drill fails when the newest backup is older than this (seconds)."
    )

    public_url: str | None = Field(
        default=None,
        description="The ERP API's address as users reach it (https://erp.example.com), for report links, portal "
        "invites and the demo; unset means http://<api_host>:<api_port>.",
    )
    report_link_ttl_h: float = Field(
        default=24.0, gt=0, le=24 * 30, description="How long a signed report link opens without a token (hours)."
    )
    upload_dir: Path | None = Field(
        default=None, description="Where the portal keeps feedback screenshots; unset means <state_dir>/uploads. "
        "The API never serves this directory as files, only each screenshot to its reporter and triagers."
    )

    alert_webhook_url: str | None = Field(
        default=None, description="Where `erpops ops automations apply` makes Prefect POST monitor and run alerts."
    )

    @property
    def base_url(self) -> str:
        """Where users reach the ERP API: `public_url`, or the address `erpops api` listens on."""
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def uploads(self) -> Path:
        return self.upload_dir or self.state_dir / "uploads"

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// address")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _must_be_postgresql(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return SecretStr(normalize_database_url(value.get_secret_value()))


def normalize_database_url(raw: str) -> str:
    """Check that `raw` is a PostgreSQL URL and make it use the psycopg 3 driver."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise ValueError("not a database URL (expected postgresql://user@host:port/dbname)") from None
    if url.drivername.split("+")[0] == "postgres":  # Heroku-style alias
        url = url.set(drivername="postgresql")
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"erpops keeps ERP data in PostgreSQL only, not {url.get_backend_name()!r}")
    if not url.database:
        raise ValueError("the URL names no database (expected postgresql://user@host:port/dbname)")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; a bad value becomes a one-line ConfigError."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        name = "PREFECT_API_URL" if field == "prefect_api_url" else f"ERPOPS_{field.upper()}"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"invalid configuration {name}: {message}") from None
