"""The runner's input, CONFIG.json (written by the load-test flow or by `loadtests.seed`), as typed models.

No locust import here: the test suite and the seeding helper read and write the same models.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from infra.errors import ConfigError

DEFAULT_MASTER_PORT = 5557  # Locust's own default


class UserKind(StrEnum):
    """The kinds of users in the realistic mix; the keys of `weights` and of the fixture's `tokens`."""

    CONNECTOR = "connector"
    SHOPPER = "shopper"
    WAREHOUSE = "warehouse"
    PURCHASER = "purchaser"
    MANAGER = "manager"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Fixture(_Model):
    """The ERP data the users work on; every code carries the run's tag so that it can be recognised."""

    tag: str
    warehouse: str
    skus: list[str] = Field(min_length=1)
    supplier: str
    channel: str = "tmall"
    customer_ref: str
    tokens: dict[UserKind, str]

    def token(self, kind: UserKind) -> str:
        return self.tokens[kind]


class Steps(_Model):
    """A stress profile's step load: start_users, plus step_users every step_s seconds, up to max_users."""

    start_users: int = Field(ge=1)
    step_users: int = Field(ge=1)
    max_users: int = Field(ge=1)
    step_s: float = Field(gt=0)


class RunConfig(_Model):
    """One Locust run: where, how many users for how long, which mix, and what to stop on."""

    host: str
    profile: str = "adhoc"
    users: int = Field(ge=1)
    spawn_rate: float = Field(gt=0)
    duration_s: float = Field(gt=0)
    weights: dict[UserKind, int] = Field(default_factory=lambda: dict.fromkeys(UserKind, 1))
    steps: Steps | None = None
    thresholds: list[str | dict[str, Any]] = Field(default_factory=list)
    workers: int = Field(default=1, ge=1)
    master_host: str | None = None
    master_port: int | None = Field(default=None, ge=1, le=65535)
    master_bind_host: str = "127.0.0.1"
    remote_workers: int = Field(default=0, ge=0)
    workers_wait_s: float = Field(default=120, gt=0)
    fixture: Fixture

    @model_validator(mode="after")
    def _some_weight_and_tokens(self) -> RunConfig:
        if not any(w > 0 for w in self.weights.values()):
            raise ValueError("weights: at least one user kind needs a weight above 0")
        needed = {k for k, w in self.weights.items() if w > 0}
        if UserKind.WAREHOUSE in needed:
            needed.add(UserKind.PURCHASER)  # warehouse staff receive POs they draft with a purchaser's token
        missing = sorted(k.value for k in needed if k not in self.fixture.tokens)
        if missing:
            raise ValueError(f"fixture.tokens: no token for {', '.join(missing)}")
        return self

    @property
    def distributed(self) -> bool:
        return self.workers > 1 or self.remote_workers > 0 or self.master_host is not None

    @property
    def bind_port(self) -> int | None:
        """The master's port: the config's, else DEFAULT_MASTER_PORT when other hosts' workers are expected
        (they need a port known in advance), else None (a free one)."""
        return self.master_port or (DEFAULT_MASTER_PORT if self.remote_workers else None)

    def for_worker(self) -> dict[str, Any]:
        """What the master hands each worker (the `erpops_config` message): the mix, its data and the API's
        address; not the thresholds nor the master's own settings."""
        return self.model_dump(mode="json", include={"host", "profile", "users", "spawn_rate", "duration_s",
                                                     "weights", "fixture"})


def load_config(path: Path) -> RunConfig:
    """The config at `path`, or a one-line ConfigError naming the file and the field."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the load-test config ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: line {exc.lineno} column {exc.colno}: not JSON ({exc.msg})") from exc
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"{p}: " if n == len(first["loc"]) - 1 else f"{p}." for n, p in enumerate(first["loc"]))
        raise ConfigError(f"{path}: {where}{first['msg'].removeprefix('Value error, ')}") from exc
