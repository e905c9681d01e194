"""Environment readiness: the first flow of every implementation, and the schema's fingerprint."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, runtime, tags
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.states import Failed
from pydantic import BaseModel

from flows.outcomes import outcome_of_state
from tasks.environment import (
    CheckResult,
    SchemaFingerprint,
    check_database,
    check_host,
    check_prefect_api,
    check_schema,
    fingerprint_schema,
)


class ReadinessReport(BaseModel):
    """What the readiness flow found; `ready` is true only when every check passed."""

    flow_run_id: str
    ready: bool
    checks: list[CheckResult]
    fingerprint: SchemaFingerprint | None


def render_checks(checks: list[CheckResult]) -> str:
    lines = ["# Environment readiness", "", "| check | result | detail |", "|---|---|---|"]
    lines += [f"| {c.check} | {'pass' if c.ok else '**FAIL**'} | {c.detail} |" for c in checks]
    return "\n".join(lines)


@flow(name="environment-readiness", log_prints=True)
def environment_readiness(api_url: str, state_dir: Path = Path(".erpops")) -> ReadinessReport | State:
    """Check database, schema, Prefect and host; fingerprint the schema; publish both as artifacts. Not ready: the
    run ends Failed naming the failing checks, and still returns its report."""
    checks = [check_database(), check_schema(), check_prefect_api(api_url), check_host(state_dir)]
    ready = all(c.ok for c in checks)
    create_markdown_artifact(
        render_checks(checks), key="environment-readiness", description="Environment readiness checks"
    )
    fingerprint = fingerprint_schema() if checks[0].ok and checks[1].ok else None
    if fingerprint is not None:
        create_table_artifact(
            fingerprint.tables,
            key="schema-fingerprint",
            description=f"ERP schema {fingerprint.revision}: content fingerprint {fingerprint.overall}",
        )
    print(f"environment ready: {ready}")
    report = ReadinessReport(flow_run_id=str(runtime.flow_run.id), ready=ready, checks=checks, fingerprint=fingerprint)
    if ready:
        return report
    return Failed(message="not ready: " + "; ".join(f"{c.check}: {c.detail}" for c in checks if not c.ok),
                  data=report)


def check_readiness(api_url: str, state_dir: Path) -> ReadinessReport:
    """Run the readiness flow tagged `phase:deploy`; its report, ready or not (an error that stopped it is raised)."""
    with tags("phase:deploy"):
        state: State = environment_readiness(api_url=api_url, state_dir=state_dir, return_state=True)
    return outcome_of_state(state, ReadinessReport, "environment-readiness")
