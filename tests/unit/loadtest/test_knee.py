"""The knee of a stress run: the highest step of users that, with every step below it, meets the thresholds."""

from __future__ import annotations

from erp_models.loadtest.stats import LoadResult
from erp_models.loadtest.thresholds import judge_steps, knee, parse_threshold
from tests.unit.loadtest.builders import SecondSpec, result_of, steady

CRITERION = [parse_threshold("place_order: p(95) < 300"), parse_threshold("fail_ratio < 0.01")]


def stepped(*latencies: float, step_s: int = 10) -> LoadResult:
    """One step of 4 more users every step_s seconds; each step's requests take the given time, 10 more per step."""
    seconds: list[SecondSpec] = []
    for i, ms in enumerate(latencies):
        seconds += steady([ms] * (10 + 10 * i), step_s)
    steps = [(4 + 4 * i, float(i * step_s), float((i + 1) * step_s)) for i in range(len(latencies))]
    return result_of({"place_order": seconds}, steps=steps, profile="stress")


def test_the_knee_is_the_last_step_that_meets_the_thresholds() -> None:
    found = knee(CRITERION, stepped(20, 50, 350, 900))
    assert found is not None
    assert (found.step_index, found.users, found.p95_ms) == (1, 8, 50.0)
    assert found.rps == 20.0
    assert found.criterion == "place_order: p(95) < 300; fail_ratio < 0.01"


def test_a_step_that_recovers_after_a_broken_one_is_not_the_knee() -> None:
    found = knee(CRITERION, stepped(20, 350, 50))
    assert found is not None and found.step_index == 0


def test_no_knee_when_even_the_first_step_breaks_the_thresholds() -> None:
    assert knee(CRITERION, stepped(400, 500)) is None


def test_the_first_seconds_of_a_step_are_ramp_and_not_judged() -> None:
    spawning: list[SecondSpec] = steady([20.0] * 10, 10) + steady([900.0] * 20, 2) + steady([50.0] * 20, 8)
    result = result_of({"place_order": spawning}, steps=[(4, 0.0, 10.0), (8, 10.0, 20.0)], profile="stress")
    steps = judge_steps(CRITERION, result)
    assert [s.passed for s in steps] == [True, True]
    assert (steps[1].start_s, steps[1].end_s, steps[1].p95_ms) == (12.0, 20.0, 50.0)


def test_a_short_step_is_judged_whole() -> None:
    steps = judge_steps(CRITERION, stepped(20, 50, step_s=4))
    assert [(s.start_s, s.end_s) for s in steps] == [(0.0, 4.0), (4.0, 8.0)]


def test_each_step_lists_the_thresholds_it_broke_with_their_values() -> None:
    steps = judge_steps(CRITERION, stepped(20, 350))
    assert steps[0].failed == [] and steps[1].failed == ["place_order: p(95) < 300 (p(95) 350)"]


def test_baseline_thresholds_do_not_decide_the_knee() -> None:
    with_baseline = [*CRITERION, parse_threshold("place_order: p(95) <= baseline * 1.1")]
    found = knee(with_baseline, stepped(20, 50, 350))
    assert found is not None and found.step_index == 1 and "baseline" not in found.criterion


def test_steps_after_an_aborted_run_ended_are_not_judged() -> None:
    result = stepped(20, 50, 350).model_copy(update={"duration_s": 20.0})
    assert [s.index for s in judge_steps(CRITERION, result)] == [0, 1]
