"""Test phase: Locust load against the real ERP API, judged by thresholds and by the ERP's invariants afterwards.

The run prepares its own tagged data, serves the API unless one is given, runs Locust in a subprocess, judges the
result, records evidence under `loadtest/<profile>`, publishes the report and retires its data. A failed
threshold or a violated invariant ends the flow run Failed, with the reason as its message.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from pathlib import Path
from typing import Any

from prefect import flow, runtime, tags
from prefect.client.schemas.objects import State
from prefect.states import Failed
from pydantic import BaseModel, Field

from erp_models.loadtest.prep import DEFAULT_SKUS
from erp_models.loadtest.profiles import ProfileName
from tasks.loadtest.data import CleanupSummary, cleanup_data, prepare_data
from tasks.loadtest.models import RemoteWorkers
from tasks.loadtest.monitor import ResourceReport
from tasks.loadtest.report import publish_report
from tasks.loadtest.run import run_load
from tasks.loadtest.spec import resolve_load_plan
from tasks.loadtest.verdict import (
    EndpointFigures,
    Judgement,
    KneeOutcome,
    StepOutcome,
    ThresholdOutcome,
    check_run_invariants,
    judge_thresholds,
    record_run_evidence,
)


class LoadTestStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class FailedOn(StrEnum):
    THRESHOLDS = "thresholds"
    INVARIANTS = "invariants"


class LoadTestParams(BaseModel):
    """What the Prefect UI's run form asks for."""

    profile: ProfileName = Field(default=ProfileName.SMOKE, description="smoke, load, stress or soak")
    users: int | None = Field(default=None, ge=1, description="Users (stress: of the top step); default the profile's")
    duration_s: float | None = Field(default=None, gt=0, description="Seconds of load; default the profile's")
    workers: int = Field(default=1, ge=1, le=64, description="Locust worker processes (>1: distributed mode)")
    remote_workers: int = Field(default=0, ge=0, le=256, description="Workers from other hosts (`erpops loadtest "
                                "worker`) the master waits for (120 s at most) besides its own")
    master_bind: str = Field(default="127.0.0.1", description="Address the Locust master listens on (another "
                             "host's workers need a non-loopback one)")
    master_port: int | None = Field(default=None, ge=1, le=65535,
                                    description="The master's port; default 5557 with remote workers, else a free one")
    api_url: str | None = Field(default=None, description="A running ERP API; default: start one on loopback")
    plan_file: str | None = Field(default=None, description="A plan file whose `loadtest:` section has the profiles")
    sku_count: int = Field(default=DEFAULT_SKUS, ge=1, le=1000, description="SKUs the run creates and sells")
    out_dir: str = Field(default=".erpops/loadtests", description="Reports go to <out_dir>/<run id>/")


class LoadTestOutcome(BaseModel):
    run_id: str
    profile: str
    status: LoadTestStatus
    failed_on: list[FailedOn] = Field(default_factory=list)
    reason: str | None = None
    tag: str
    thresholds: list[ThresholdOutcome]
    invariants: dict[str, Any]
    endpoints: dict[str, EndpointFigures]
    steps: list[StepOutcome] = Field(default_factory=list)
    knee: KneeOutcome | None = None
    resources: ResourceReport
    report_html: str
    run_dir: str
    evidence: dict[str, float] = Field(default_factory=dict)
    cleanup: CleanupSummary | None = None


def _run_name() -> str:
    raw = runtime.flow_run.parameters.get("params")
    profile = raw.get("profile") if isinstance(raw, dict) else getattr(raw, "profile", "smoke")
    return f"load-test/{ProfileName(profile or 'smoke').value}"


@flow(name="load-test", flow_run_name=_run_name, log_prints=True)
def load_test(params: LoadTestParams) -> LoadTestOutcome | State:
    """Prepare tagged data, load the API with Locust (a subprocess), judge thresholds and invariants, record."""
    run_id = uuid.UUID(str(runtime.flow_run.id))
    plan = resolve_load_plan(params.profile.value, params.plan_file, params.users, params.duration_s, params.workers,
                             RemoteWorkers(remote_workers=params.remote_workers, master_bind=params.master_bind,
                                           master_port=params.master_port))
    fixture = prepare_data(params.sku_count)
    print(f"load test {plan.profile}: data tagged {fixture.tag}, {plan.users} users for {plan.duration_s:g} s")
    try:
        files = run_load(plan, fixture, params.api_url, str(Path(params.out_dir) / str(run_id)))
        invariants = check_run_invariants(fixture.tag, files.orders_jsonl)
        judgement = judge_thresholds(plan, files.result_json)
        failed_on = ([FailedOn.INVARIANTS] if not invariants.ok else []) + (
            [FailedOn.THRESHOLDS] if not judgement.thresholds_passed else [])
        reason = _reason(failed_on, judgement, invariants.violations)
        status = LoadTestStatus.FAILED if failed_on else LoadTestStatus.PASSED
        evidence = record_run_evidence(run_id, plan.profile, judgement, invariants_ok=invariants.ok,
                                       passed=not failed_on, report_html=files.report_html)
        publish_report(plan, files, judgement, invariants, status is LoadTestStatus.PASSED, reason)
    finally:
        cleaned = cleanup_data(fixture.tag)
    outcome = LoadTestOutcome(
        run_id=str(run_id), profile=plan.profile, status=status, failed_on=failed_on, reason=reason, tag=fixture.tag,
        thresholds=judgement.thresholds, invariants=invariants.to_json(), endpoints=judgement.endpoints,
        steps=judgement.steps, knee=judgement.knee, resources=files.resources, report_html=files.report_html,
        run_dir=files.run_dir, evidence=evidence, cleanup=cleaned)
    print(f"load test {plan.profile}: {status.value}" + (f" ({reason})" if reason else ""))
    if failed_on:
        return Failed(message=reason, data=outcome)
    return outcome


def _reason(failed_on: list[FailedOn], judgement: Judgement, violations: list[Any]) -> str | None:
    parts = []
    if FailedOn.INVARIANTS in failed_on:
        parts.append("invariants violated: " + ", ".join(f"{v.check} ({v.count})" for v in violations))
    if FailedOn.THRESHOLDS in failed_on and judgement.steps and judgement.knee is None:
        parts.append("no knee: the first step already broke the thresholds")
    elif FailedOn.THRESHOLDS in failed_on:
        broken = [f"{t.expr} (value {t.value if t.value is not None else 'none'})"
                  for t in judgement.thresholds if not t.passed]
        if broken:
            parts.append("thresholds failed: " + "; ".join(broken))
    if judgement.aborted:
        parts.append(f"aborted: {judgement.aborted}")
    return "; ".join(parts) or None


def run_load_test(params: LoadTestParams) -> tuple[State, LoadTestOutcome | None]:
    """Run the flow tagged `phase:test` and `profile:<p>`; its final state, and its outcome when it has one."""
    with tags("phase:test", f"profile:{params.profile.value}"):
        state: State = load_test(params, return_state=True)
    data = state.result(raise_on_failure=False) if state.is_completed() or state.is_failed() else None
    return state, data if isinstance(data, LoadTestOutcome) else None
