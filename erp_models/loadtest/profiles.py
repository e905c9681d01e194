"""Load-test profiles (smoke, load, stress, soak): the plan file's optional `loadtest:` section, and the built-ins.

A plan names only what it changes: a profile it gives is laid over the built-in one field by field (a `thresholds`
list given replaces the built-in list), and profiles it leaves out stay built in.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from erp_models.loadtest.builtin import BUILT_IN
from erp_models.loadtest.durations import parse_duration
from erp_models.loadtest.grammar import Threshold, ThresholdRule, ThresholdSpec, parse_threshold

MAX_S = 24 * 3600  # every load loop is bounded
Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0, le=MAX_S)]
Users = Annotated[int, Field(ge=1, le=10_000)]


class ProfileName(StrEnum):
    SMOKE = "smoke"
    LOAD = "load"
    STRESS = "stress"
    SOAK = "soak"


class UserKind(StrEnum):
    """The simulated users of loadtests/ (the keys of a profile's weights)."""

    CONNECTOR = "connector"  # a marketplace connector placing orders, with replays and promotion bursts
    SHOPPER = "shopper"  # stock look-ups
    WAREHOUSE = "warehouse"  # shipping orders, receiving goods
    PURCHASER = "purchaser"  # creating and approving purchase orders
    MANAGER = "manager"  # reading lists


def _checked(spec: Any) -> ThresholdSpec:
    """The threshold as written (a string or a ThresholdRule), refused unless it parses."""
    if not isinstance(spec, str | dict | ThresholdRule):
        raise ValueError(f"a threshold is a string or a mapping with expr, not {spec!r}")
    parse_threshold(spec)  # ThresholdError is a ValueError: pydantic reports it at the threshold's place
    return spec if isinstance(spec, str | ThresholdRule) else ThresholdRule.model_validate(spec)


Thresholds = list[Annotated[ThresholdSpec, BeforeValidator(_checked)]]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StressSteps(Strict):
    start_users: Users
    step_users: Users
    max_users: Users
    step_s: Duration

    @model_validator(mode="after")
    def _climbs(self) -> StressSteps:
        if self.max_users < self.start_users:
            raise ValueError(f"max_users {self.max_users} is below start_users {self.start_users}")
        return self

    def users(self) -> list[int]:
        """The users of each step, from start_users up to max_users (the last step may be smaller than step_users)."""
        count = math.ceil((self.max_users - self.start_users) / self.step_users) + 1
        return [min(self.start_users + i * self.step_users, self.max_users) for i in range(count)]

    @property
    def total_s(self) -> float:
        return len(self.users()) * self.step_s


class Profile(Strict):
    users: Users
    spawn_rate: Annotated[float, Field(gt=0, le=10_000)]
    duration_s: Duration
    weights: dict[UserKind, Annotated[int, Field(ge=0, le=1000)]]
    thresholds: Thresholds = Field(default_factory=list)
    steps: StressSteps | None = None  # stress only: users climb step by step; users and duration_s follow from it
    sample_every_s: Duration | None = None  # soak only: how often the API's RSS and connections are sampled

    @model_validator(mode="before")
    @classmethod
    def _stress_sizes_follow_steps(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("steps"), dict):
            try:
                steps = StressSteps.model_validate(raw["steps"])
            except ValidationError:  # reported at steps.* by the normal validation, not as a missing users
                return {"users": 1, "duration_s": 1, **raw}
            raw = {"users": steps.max_users, "duration_s": steps.total_s, **raw}
        return raw

    @field_validator("weights")
    @classmethod
    def _someone_runs(cls, weights: dict[UserKind, int]) -> dict[UserKind, int]:
        if not any(weights.values()):
            raise ValueError("at least one user kind needs a weight above 0")
        return weights

    @model_validator(mode="after")
    def _sizes_agree(self) -> Profile:
        if self.steps is not None and self.users != self.steps.max_users:
            raise ValueError(f"users {self.users} differs from steps.max_users {self.steps.max_users}: leave users "
                             "out of a stepped profile")
        return self

    def parsed_thresholds(self) -> list[Threshold]:
        return [parse_threshold(spec) for spec in self.thresholds]

    def overridden(self, *, users: int | None = None, duration_s: float | None = None) -> Profile:
        """The profile with a command line's --users / --duration, validated again (ValueError, one line, if not).
        A stepped profile's users are its steps' max_users; a duration shorter than its steps cuts the run short."""
        raw = self.model_dump(mode="json")
        if users is not None:
            raw["users"] = users
            if raw["steps"] is not None:
                raw["steps"]["max_users"] = users
                raw.pop("duration_s")
        if duration_s is not None:
            raw["duration_s"] = duration_s
        try:
            return Profile.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            place = ".".join(str(p) for p in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            raise ValueError(f"{place}: {message}" if place else message) from None


class LoadTestSpec(Strict):
    """The four profiles, each complete: the plan's fields laid over the built-in ones."""

    profiles: dict[ProfileName, Profile] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _over_built_ins(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        given = raw.get("profiles") or {}
        if not isinstance(given, dict):
            return raw
        for name, fields in given.items():
            if isinstance(fields, dict) and name != ProfileName.STRESS and "steps" in fields:
                raise ValueError(f"profiles.{name}: steps apply to the stress profile only")
        merged = {name: _laid_over(BUILT_IN.get(str(name), {}), fields) for name, fields in given.items()}
        return {**raw, "profiles": {**{k: v for k, v in BUILT_IN.items() if k not in merged}, **merged}}

    @model_validator(mode="after")
    def _kinds_in_place(self) -> LoadTestSpec:
        for name, profile in self.profiles.items():
            if profile.steps is None and name is ProfileName.STRESS:
                raise ValueError("profiles.stress: a stress profile needs steps")
            if profile.sample_every_s is not None and name is not ProfileName.SOAK:
                raise ValueError(f"profiles.{name}: sample_every_s applies to the soak profile only")
        return self

    def profile(self, name: ProfileName | str) -> Profile:
        return self.profiles[ProfileName(name)]


def _laid_over(built_in: dict[str, Any], given: Any) -> Any:
    if not isinstance(given, dict):
        return given
    merged = {**built_in, **given}
    if isinstance(built_in.get("steps"), dict) and isinstance(given.get("steps"), dict):
        merged["steps"] = {**built_in["steps"], **given["steps"]}
    return merged


def default_spec() -> LoadTestSpec:
    """The built-in profiles, used when no plan (or a plan without `loadtest:`) is given."""
    return LoadTestSpec()
