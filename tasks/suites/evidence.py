"""What a test-suite run leaves for milestone gates: each suite's measurements, under the run's id and the suite."""

from __future__ import annotations

import uuid

from prefect import task

from erp_models.project.evidence import record_evidence
from erp_models.project.suites import evidence_scope
from infra.db import UnitOfWork
from tasks.suites.run import SuiteOutcome


@task
def record_suite_evidence(run_id: uuid.UUID, suites: list[SuiteOutcome], flow_run: str) -> dict[str, float]:
    """`tests.<suite>.*` for every suite that ran, scoped per suite so a gate reads one run's values together."""
    recorded: dict[str, float] = {}
    with UnitOfWork() as uow:
        for suite in suites:
            values = suite.report().evidence(suite.name)
            record_evidence(uow.session, source=f"test-suites run {run_id} (flow run {flow_run})", values=values,
                            detail={"status": suite.status, "reason": suite.reason, "junit_xml": suite.junit_xml},
                            run_id=run_id, scope=evidence_scope(suite.name))
            recorded |= values
        uow.commit()
    return recorded
