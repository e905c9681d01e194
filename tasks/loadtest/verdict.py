"""The verdict on one run: per-endpoint figures from the merged histograms, thresholds (against the last passing
run's baseline), the knee of a stress run, the invariants read from the database, and the evidence recorded."""

from __future__ import annotations

import uuid
from pathlib import Path

from prefect import task
from pydantic import BaseModel

from erp_models.loadtest.baseline import evidence_key, is_recordable, last_passing_baseline, scope_of
from erp_models.loadtest.invariants import InvariantReport, check_invariants, parse_order_answers
from erp_models.loadtest.stats import TOTAL, LoadResult, Sample, read_result
from erp_models.loadtest.thresholds import evaluate as evaluate_thresholds
from erp_models.loadtest.thresholds import judge_steps, knee, parse_thresholds
from erp_models.project.evidence import record_evidence
from infra.db import UnitOfWork
from tasks.loadtest.models import LoadPlan


class EndpointFigures(BaseModel):
    requests: int
    failures: int
    fail_ratio: float
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    avg_ms: float | None
    max_ms: float | None


class ThresholdOutcome(BaseModel):
    expr: str
    endpoint: str
    metric: str
    value: float | None
    limit: float | None
    passed: bool
    reason: str


class StepOutcome(BaseModel):
    index: int
    users: int
    rps: float
    p95_ms: float | None
    passed: bool


class KneeOutcome(BaseModel):
    users: int
    rps: float
    p95_ms: float | None
    step_index: int
    criterion: str


class Judgement(BaseModel):
    duration_s: float
    endpoints: dict[str, EndpointFigures]  # and `total`, every endpoint together
    thresholds: list[ThresholdOutcome]
    steps: list[StepOutcome]
    knee: KneeOutcome | None
    baseline_run: str | None
    aborted: str | None

    @property
    def thresholds_passed(self) -> bool:
        """Whether the run meets its thresholds. A step load is meant to break them: it passes when it has a knee
        (its first step met them); its whole-run verdicts are reported, not held against it."""
        if self.aborted:
            return False
        if self.steps:
            return self.knee is not None
        return all(t.passed for t in self.thresholds)


def figures(sample: Sample) -> EndpointFigures:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return EndpointFigures(requests=sample.requests, failures=sample.failures, fail_ratio=sample.fail_ratio() or 0.0,
                           rps=round(sample.rps(), 2), p50_ms=rounded(sample.percentile_ms(0.50)),
                           p95_ms=rounded(sample.percentile_ms(0.95)), p99_ms=rounded(sample.percentile_ms(0.99)),
                           avg_ms=rounded(sample.avg_ms()), max_ms=rounded(sample.highest_ms()))


@task
def judge_thresholds(plan: LoadPlan, result_json: str) -> Judgement:
    """Figures per endpoint, each threshold's verdict, and for a step load each step and the knee."""
    result: LoadResult = read_result(Path(result_json))
    thresholds = parse_thresholds(plan.thresholds, where=f"{plan.source}: loadtest.profiles.{plan.profile}")
    with UnitOfWork() as uow:
        baseline_run, baseline = last_passing_baseline(uow.session, profile=plan.profile)
    verdicts = evaluate_thresholds(thresholds, result, baseline)
    endpoints = {name: figures(result.whole(name)) for name in [*result.endpoint_names(), TOTAL]}
    steps, found = [], None
    if plan.steps is not None:
        steps = [StepOutcome(index=s.index, users=s.users, rps=round(s.rps, 2), p95_ms=s.p95_ms, passed=s.passed)
                 for s in judge_steps(thresholds, result)]
        at = knee(thresholds, result)
        if at is not None:
            found = KneeOutcome(users=at.users, rps=round(at.rps, 2), p95_ms=at.p95_ms, step_index=at.step_index,
                                criterion=at.criterion)
    return Judgement(
        duration_s=result.duration_s, endpoints=endpoints, steps=steps, knee=found, baseline_run=baseline_run,
        aborted=result.aborted.reason if result.aborted else None,
        thresholds=[ThresholdOutcome(expr=v.expr, endpoint=v.endpoint, metric=v.metric, value=v.value, limit=v.limit,
                                     passed=v.passed, reason=v.reason) for v in verdicts])


@task
def check_run_invariants(tag: str, orders_jsonl: str) -> InvariantReport:
    """The ERP's invariants after the load, read from the database; the answers are the runner's orders.jsonl."""
    path = Path(orders_jsonl)
    answers = parse_order_answers(path.read_text(encoding="utf-8").splitlines() if path.is_file() else [])
    with UnitOfWork() as uow:
        return check_invariants(uow.session, tag=tag, answers=answers)


def evidence_values(profile: str, judgement: Judgement, *, invariants_ok: bool, passed: bool) -> dict[str, float]:
    """`loadtest.<profile>.<endpoint>.<metric>` per endpoint, the run's totals, its invariants and verdict."""
    values: dict[str, float] = {}
    for endpoint, fig in judgement.endpoints.items():
        if not is_recordable(endpoint):
            continue
        for metric, value in fig.model_dump(exclude={"failures"}).items():
            if value is not None:
                values[evidence_key(profile, endpoint, metric)] = float(value)
    for t in judgement.thresholds:  # what a baseline threshold will compare with next time
        if t.value is not None and is_recordable(t.endpoint):
            values.setdefault(evidence_key(profile, t.endpoint, t.metric), float(t.value))
    values[f"loadtest.{profile}.invariants_ok"] = float(invariants_ok)
    values[f"loadtest.{profile}.passed"] = float(passed)
    if judgement.knee is not None:
        values[f"loadtest.{profile}.knee_rps"] = judgement.knee.rps
        values[f"loadtest.{profile}.knee_users"] = float(judgement.knee.users)
    return values


@task
def record_run_evidence(run_id: uuid.UUID, profile: str, judgement: Judgement, *, invariants_ok: bool,
                        passed: bool, report_html: str) -> dict[str, float]:
    """The run's figures as evidence under the scope `loadtest/<profile>`, so gates judge one run's values."""
    values = evidence_values(profile, judgement, invariants_ok=invariants_ok, passed=passed)
    with UnitOfWork() as uow:
        record_evidence(uow.session, source=f"load-test flow run {run_id}", values=values, run_id=run_id,
                        scope=scope_of(profile), detail={"report": report_html, "baseline_run": judgement.baseline_run})
        uow.commit()
    return values
