"""The load-test flow's pure parts: which load a run makes, the runner's config, the evidence and the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from erp_models.loadtest.invariants import InvariantReport, InvariantViolation
from erp_models.project.criteria import is_known_key
from infra.errors import ConfigError
from loadtests.config import RunConfig
from tasks.loadtest.models import FixtureData, LoadRunFiles, RemoteWorkers, runner_config
from tasks.loadtest.monitor import ResourceReport, ResourceSample
from tasks.loadtest.profile import resolve_plan
from tasks.loadtest.report import report_markdown
from tasks.loadtest.verdict import (
    EndpointFigures,
    Judgement,
    KneeOutcome,
    StepOutcome,
    ThresholdOutcome,
    evidence_values,
)

EXAMPLE_PLAN = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"
FIXTURE = FixtureData(tag="LT-abc123", warehouse="LT-abc123-WH", skus=["LT-abc123-0001"], supplier="LT-abc123-SUP",
                      channel="tmall", customer_ref="LT-abc123-buyer",
                      tokens={k: f"erp_{k}" for k in ("connector", "shopper", "warehouse", "purchaser", "manager")})


def figures(p95: float, requests: int = 100) -> EndpointFigures:
    return EndpointFigures(requests=requests, failures=1, fail_ratio=0.01, rps=8.5, p50_ms=10, p95_ms=p95, p99_ms=90,
                           avg_ms=12.5, max_ms=120)


def judgement(**changes: object) -> Judgement:
    base = Judgement(duration_s=12, endpoints={"place_order": figures(40), "total": figures(60, 300)},
                     thresholds=[ThresholdOutcome(expr="place_order: p(95) < 500", endpoint="place_order",
                                                  metric="p95_ms", value=40, limit=500, passed=True,
                                                  reason="p(95) 40 over the whole run < 500")],
                     steps=[], knee=None, baseline_run=None, aborted=None)
    return base.model_copy(update=changes)


def test_the_command_lines_users_and_duration_replace_the_profiles() -> None:
    plan = resolve_plan("smoke", users=7, duration_s=5)
    assert (plan.profile, plan.users, plan.duration_s, plan.steps) == ("smoke", 7, 5, None)
    assert plan.thresholds and plan.source == "built-in profiles"


def test_a_stress_run_climbs_to_the_given_users_in_equal_steps_of_the_given_duration() -> None:
    plan = resolve_plan("stress", users=20, duration_s=50)
    assert plan.steps is not None
    assert (plan.steps.start_users, plan.steps.max_users, plan.steps.step_s) == (4, 20, 10)
    assert (plan.users, plan.duration_s) == (20, 50)


def test_the_plans_profile_is_used_with_its_source_named() -> None:
    plan = resolve_plan("smoke", plan_file=str(EXAMPLE_PLAN))
    assert "stock_lookup: p(95) < 300" in plan.thresholds and plan.source == str(EXAMPLE_PLAN)


@pytest.mark.parametrize(("args", "message"), [
    ({"profile": "spike"}, "--profile: 'spike' is not one of smoke, load, stress, soak"),
    ({"profile": "stress", "users": 2}, "--users 2 is below the stress profile's start_users 4"),
    ({"profile": "smoke", "plan_file": "nowhere.yaml"}, "nowhere.yaml: plan file not found"),
])
def test_bad_input_is_one_line(args: dict[str, object], message: str) -> None:
    profile = str(args.pop("profile"))
    with pytest.raises(ConfigError) as raised:
        resolve_plan(profile, **args)  # type: ignore[arg-type]
    assert raised.value.message == message


def test_the_runners_config_is_what_the_runner_accepts() -> None:
    plan = resolve_plan("stress", workers=2)
    config = RunConfig.model_validate(runner_config(plan, FIXTURE, "http://127.0.0.1:9"))
    assert (config.workers, config.steps.max_users if config.steps else None) == (2, 40)
    assert config.fixture.tag == "LT-abc123"


def test_remote_workers_reach_the_runner_and_workers_get_the_mix_but_not_the_thresholds() -> None:
    plan = resolve_plan("load", remote=RemoteWorkers(remote_workers=3, master_bind="0.0.0.0"))
    config = RunConfig.model_validate(runner_config(plan, FIXTURE, "http://10.0.0.5:8000"))
    assert (config.remote_workers, config.master_bind_host, config.bind_port) == (3, "0.0.0.0", 5557)
    handed = RunConfig.model_validate(config.for_worker())
    assert handed.fixture == config.fixture and handed.weights == config.weights
    assert config.thresholds and not handed.thresholds
    assert handed.host == "http://10.0.0.5:8000"
    local = RunConfig.model_validate(runner_config(resolve_plan("smoke", workers=2), FIXTURE, "http://127.0.0.1:9"))
    assert (local.remote_workers, local.master_bind_host, local.bind_port) == (0, "127.0.0.1", None)


def test_evidence_keys_are_the_ones_gates_know() -> None:
    values = evidence_values("stress", judgement(knee=KneeOutcome(users=24, rps=180.5, p95_ms=210, step_index=5,
                                                                   criterion="place_order: p(95) < 300")),
                             invariants_ok=True, passed=False)
    assert values["loadtest.stress.place_order.p95_ms"] == 40
    assert values["loadtest.stress.fail_ratio"] == 0.01 and values["loadtest.stress.total.p95_ms"] == 60
    assert (values["loadtest.stress.invariants_ok"], values["loadtest.stress.passed"]) == (1, 0)
    assert (values["loadtest.stress.knee_users"], values["loadtest.stress.knee_rps"]) == (24, 180.5)
    assert all(is_known_key(key) for key in values)


def test_the_report_shows_endpoints_thresholds_invariants_and_resources() -> None:
    files = LoadRunFiles(run_dir="/tmp/x", result_json="/tmp/x/result.json", orders_jsonl="/tmp/x/orders.jsonl",
                         report_html="/tmp/x/report.html", api_url="http://127.0.0.1:9", api_started=True,
                         resources=ResourceReport(every_s=5, samples=[
                             ResourceSample(t_s=0, rss_mb=80, db_connections=2),
                             ResourceSample(t_s=5, rss_mb=84.5, db_connections=3)]))
    broken = InvariantReport(ok=False, checked={"answers": 10}, violations=[
        InvariantViolation("reservations", "reserved differs", 1, ["LT-abc123-0001@LT-abc123-WH: reserved 1, open 3"])])

    text = report_markdown(resolve_plan("smoke"), files, judgement(), broken, passed=False,
                           reason="invariants violated: reservations (1)", chart=None)

    assert "# Load test `smoke`: **FAILED**: invariants violated: reservations (1)" in text
    assert "| place_order | 100 | 1 | 10 | 40 | 90 | 8.5 |" in text
    assert "| `place_order: p(95) < 500` | 40 | 500 | pass: p(95) 40 over the whole run < 500 |" in text
    assert "LT-abc123-0001@LT-abc123-WH: reserved 1, open 3" in text
    assert "RSS growth: 4.5 MB; database connections: growth 1, at most 3" in text


def test_overrides_stay_within_the_profiles_bounds() -> None:
    with pytest.raises(ConfigError) as too_many:
        resolve_plan("smoke", users=20_000)
    with pytest.raises(ConfigError) as too_long:
        resolve_plan("soak", duration_s=3 * 24 * 3600)
    assert too_many.value.message.startswith("--users/--duration: users: ")
    assert too_long.value.message == "--duration 259200 is longer than 86400 s: every load run is bounded"


def test_leak_figures_leave_out_the_sample_before_the_load() -> None:
    samples = [ResourceSample(t_s=t, rss_mb=rss, db_connections=conns)
               for t, rss, conns in ((0, 80, 1), (5, 90, 5), (10, 91, 5), (15, 91.5, 6))]
    report = ResourceReport(every_s=5, samples=samples)
    assert (report.rss_growth_mb, report.connection_growth, report.max_connections) == (1.5, 1, 6)


def test_a_step_load_passes_on_its_knee_not_on_its_whole_run_verdicts() -> None:
    broken = [ThresholdOutcome(expr="place_order: p(95) < 300", endpoint="place_order", metric="p95_ms", value=730,
                               limit=300, passed=False, reason="p(95) 730 over the whole run, not < 300")]
    steps = [StepOutcome(index=0, users=20, rps=71, p95_ms=24, passed=True),
             StepOutcome(index=1, users=50, rps=170, p95_ms=390, passed=False)]
    knee = KneeOutcome(users=20, rps=71, p95_ms=24, step_index=0, criterion="place_order: p(95) < 300")

    assert judgement(thresholds=broken, steps=steps, knee=knee).thresholds_passed
    assert not judgement(thresholds=broken, steps=steps, knee=None).thresholds_passed
    assert not judgement(thresholds=broken).thresholds_passed  # a load without steps is held to them
    assert not judgement(aborted="fail_ratio < 0.5 broke at 7 s").thresholds_passed
