"""Load-test profiles: the built-ins, the plan's `loadtest:` section laid over them, and its mistakes refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from erp_models.loadtest.profiles import LoadTestSpec, ProfileName, StressSteps, UserKind, default_spec
from erp_models.project.criteria import is_known_key, parse_criterion
from erp_models.project.spec import PlanError, load_plan

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "plan.yaml"


def plan_with_loadtest(tmp_path: Path, section: Any) -> Path:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["loadtest"] = section
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def refusal(tmp_path: Path, section: Any) -> str:
    path = plan_with_loadtest(tmp_path, section)
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_the_built_in_profiles_are_small_enough_for_a_laptop() -> None:
    spec = default_spec()
    smoke, load, stress, soak = (spec.profile(name) for name in ProfileName)
    assert (smoke.users, smoke.duration_s) == (4, 12.0)
    assert (load.users, load.duration_s) == (20, 60.0)
    assert stress.steps is not None and stress.steps.users() == [4, 8, 12, 16, 20, 24, 28, 32, 36, 40]
    assert (stress.users, stress.duration_s, stress.steps.step_s) == (40, 100.0, 10.0)
    assert (soak.users, soak.duration_s, soak.sample_every_s) == (8, 120.0, 5.0)
    for profile in spec.profiles.values():
        assert profile.parsed_thresholds() and set(profile.weights) == set(UserKind)


def test_the_example_plan_carries_a_loadtest_section_and_m6_reads_the_smoke_run() -> None:
    plan, _ = load_plan(EXAMPLE)
    assert plan.loadtest is not None
    smoke = plan.loadtest.profile("smoke")
    assert smoke.duration_s <= 15 and any(t.abort_on_fail for t in smoke.parsed_thresholds())
    assert any(t.is_baseline for t in plan.loadtest.profile("load").parsed_thresholds())
    m6 = next(m for m in plan.milestones if m.code == "M6")
    assert "loadtest.smoke.place_order.p95_ms <= 300" in m6.criteria
    assert "loadtest.smoke.invariants_ok == 1" in m6.criteria


def test_a_plan_without_loadtest_uses_the_built_ins(tmp_path: Path) -> None:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    del raw["loadtest"]
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert load_plan(path)[0].loadtest is None


def test_a_profile_given_in_part_keeps_the_built_in_rest() -> None:
    spec = LoadTestSpec.model_validate({"profiles": {
        "load": {"users": 50, "duration_s": "2m"}, "stress": {"steps": {"max_users": 80, "step_s": "15s"}}}})
    load, stress = spec.profile("load"), spec.profile("stress")
    assert (load.users, load.duration_s, load.spawn_rate) == (50, 120.0, 5.0)
    assert load.thresholds == default_spec().profile("load").thresholds
    assert stress.steps is not None and (stress.steps.start_users, stress.steps.max_users) == (4, 80)
    assert (stress.users, stress.duration_s) == (80, 20 * 15.0)
    assert spec.profile("smoke") == default_spec().profile("smoke")


def test_the_last_stress_step_stops_at_max_users() -> None:
    steps = StressSteps(start_users=5, step_users=10, max_users=30, step_s=10)
    assert steps.users() == [5, 15, 25, 30] and steps.total_s == 40.0


@pytest.mark.parametrize(("section", "where", "what"), [
    ({"profiles": {"load": {"thresholds": ["p(95) < 300", "fail_ratio < 0.01", "p(95) <"]}}},
     "loadtest.profiles.load.thresholds.2", "threshold 'p(95) <': compares with nothing"),
    ({"profiles": {"smoke": {"thresholds": [{"expr": "p(95) < 3", "grace": "5s"}]}}},
     "loadtest.profiles.smoke.thresholds.0", "grace only applies with abort_on_fail: true"),
    ({"profiles": {"smoke": {"thresholds": [42]}}},
     "loadtest.profiles.smoke.thresholds.0", "a threshold is a string or a mapping with expr"),
    ({"profiles": {"smoke": {"duration_s": "soon"}}}, "loadtest.profiles.smoke.duration_s", "is not a duration"),
    ({"profiles": {"smoke": {"duration_s": "48h"}}}, "loadtest.profiles.smoke.duration_s", "less than or equal"),
    ({"profiles": {"smoke": {"users": 0}}}, "loadtest.profiles.smoke.users", "greater than or equal to 1"),
    ({"profiles": {"smoke": {"weights": {"robot": 1}}}}, "loadtest.profiles.smoke.weights.robot.[key]", "Input"),
    ({"profiles": {"smoke": {"weights": {"connector": 0}}}}, "loadtest.profiles.smoke.weights", "above 0"),
    ({"profiles": {"spike": {"users": 3}}}, "loadtest.profiles.spike.[key]", "'smoke', 'load', 'stress' or 'soak'"),
    ({"profiles": {"smoke": {"rps": 3}}}, "loadtest.profiles.smoke.rps", "Extra inputs are not permitted"),
    ({"profiles": {"load": {"steps": {"start_users": 1, "step_users": 1, "max_users": 2, "step_s": 5}}}},
     "loadtest", "profiles.load: steps apply to the stress profile only"),
    ({"profiles": {"smoke": {"sample_every_s": 5}}}, "loadtest", "sample_every_s applies to the soak profile only"),
    ({"profiles": {"stress": {"users": 100}}}, "loadtest.profiles.stress", "differs from steps.max_users 40"),
    ({"profiles": {"stress": {"steps": {"start_users": 10, "max_users": 5}}}},
     "loadtest.profiles.stress.steps", "max_users 5 is below start_users 10"),
])
def test_a_mistake_in_the_loadtest_section_is_refused_naming_its_place(
        tmp_path: Path, section: Any, where: str, what: str) -> None:
    message = refusal(tmp_path, section)
    assert message.startswith(f"{where}: ") and what in message


@pytest.mark.parametrize("key", [
    "loadtest.smoke.place_order.p95_ms", "loadtest.load.stock_lookup.p99_ms", "loadtest.load.total.avg_ms",
    "loadtest.soak.place_order.max_ms", "loadtest.load.place_order.fail_ratio", "loadtest.stress.place_order.rps",
    "loadtest.smoke.place_order.requests", "loadtest.load.fail_ratio", "loadtest.load.rps", "loadtest.soak.requests",
    "loadtest.smoke.invariants_ok", "loadtest.smoke.passed", "loadtest.stress.knee_rps", "loadtest.stress.knee_users",
])
def test_load_test_evidence_keys_are_known_to_gates(key: str) -> None:
    assert is_known_key(key)
    parse_criterion(f"{key} <= 1")


@pytest.mark.parametrize("key", ["loadtest.place_order.p95_ms", "loadtest.bare_update.error_ratio"])
def test_load_test_figures_outside_a_profile_are_no_evidence_for_gates(key: str) -> None:
    assert not is_known_key(key)  # only the load-test flow's profile-scoped figures gate milestones


@pytest.mark.parametrize("key", ["loadtest.smoke.place_order.p90_ms", "loadtest.spike.knee_rps",
                                 "loadtest.smoke.invariants"])
def test_load_test_keys_nothing_records_are_unknown(key: str) -> None:
    assert not is_known_key(key)


def test_the_command_line_can_change_users_and_duration_and_is_checked_again() -> None:
    spec = default_spec()
    smoke = spec.profile("smoke").overridden(users=2, duration_s=5)
    assert (smoke.users, smoke.duration_s, smoke.thresholds) == (2, 5.0, spec.profile("smoke").thresholds)
    stress = spec.profile("stress").overridden(users=12)
    assert stress.steps is not None and stress.steps.users() == [4, 8, 12] and stress.duration_s == 30.0
    assert spec.profile("stress").overridden(duration_s=25).duration_s == 25.0
    with pytest.raises(ValueError, match=r"^users: Input should be greater than or equal to 1$"):
        spec.profile("load").overridden(users=0)
    with pytest.raises(ValueError, match="max_users 2 is below start_users 4"):
        spec.profile("stress").overridden(users=2)


def test_a_profiles_thresholds_dump_in_the_form_the_runner_reads() -> None:
    plan, _ = load_plan(EXAMPLE)
    assert plan.loadtest is not None
    dumped = plan.loadtest.profile("smoke").model_dump(mode="json")["thresholds"]
    assert dumped[0] == "place_order: p(95) < 500"
    assert dumped[-1] == {"expr": "fail_ratio < 0.5", "abort_on_fail": True, "grace_s": 5.0}
