"""The Locust runner's config and step plan, read without Locust (no gevent in the test process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.errors import ConfigError
from loadtests.config import Steps, UserKind, load_config
from loadtests.steps import StepWindow, plan_steps


def config(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "host": "http://127.0.0.1:1", "users": 4, "spawn_rate": 4, "duration_s": 12,
        "fixture": {"tag": "LT-1", "warehouse": "LT-1-WH", "skus": ["LT-1-0001"], "supplier": "LT-1-SUP",
                    "customer_ref": "LT-1-buyer", "tokens": {kind.value: "erp_x" for kind in UserKind}}}
    return base | changes


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_built_in_stress_steps_climb_from_4_to_40_users_in_ten_steps() -> None:
    windows = plan_steps(Steps(start_users=4, step_users=4, max_users=40, step_s=10), duration_s=100)
    assert [w.users for w in windows] == [4, 8, 12, 16, 20, 24, 28, 32, 36, 40]
    assert windows[-1] == StepWindow(index=9, users=40, start_s=90, end_s=100)


def test_steps_stop_at_the_duration_and_the_last_step_is_capped_at_max_users() -> None:
    assert [(w.users, w.end_s) for w in plan_steps(Steps(start_users=3, step_users=4, max_users=9, step_s=5),
                                                   duration_s=12)] == [(3, 5), (7, 10), (9, 12)]


def test_a_config_names_the_file_and_the_field_it_breaks(tmp_path: Path) -> None:
    path = write(tmp_path, config(spawn_rate=0))
    with pytest.raises(ConfigError, match=r"config.json: spawn_rate: Input should be greater than 0"):
        load_config(path)
    path.write_text("{\n  nope", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config.json: line 2 column 3: not JSON"):
        load_config(path)


def test_a_weighted_kind_needs_a_token_and_warehouse_staff_need_a_purchasers_too(tmp_path: Path) -> None:
    data = config(weights={"warehouse": 1, "shopper": 0})
    data["fixture"]["tokens"] = {"warehouse": "erp_x"}
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, data))
    assert str(refused.value) == f"{tmp_path / 'config.json'}: fixture.tokens: no token for purchaser"
    data["fixture"]["tokens"]["purchaser"] = "erp_y"
    assert load_config(write(tmp_path, data)).weights == {UserKind.WAREHOUSE: 1, UserKind.SHOPPER: 0}
