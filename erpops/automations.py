"""erpops' Prefect automations, created or updated by name on the configured server (`erpops ops automations apply`).

- `erpops monitor violation`: each `erpops.monitor.violation` event -> POST to the alert webhook;
- `erpops monitor failing`: 3 failed `monitor` runs within the window -> run the `ops-risk` deployment, whose flow
  raises the risk OPS-MONITOR in the ERP when the newest 3 runs all failed (an automation cannot write to the ERP);
- `erpops migration or cutover failed`: a failed or crashed `migration`/`cutover` run -> POST to the alert webhook.
The webhook is a Prefect `Webhook` block (`erpops-alerts`) holding the URL; without one the two alerts are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, cast
from uuid import UUID

WEBHOOK_BLOCK = "erpops-alerts"
RISK_DEPLOYMENT = "ops-risk/ops-risk"
VIOLATION = "erpops monitor violation"
FAILING = "erpops monitor failing"
MIGRATION_FAILED = "erpops migration or cutover failed"

_VIOLATION_PAYLOAD = json.dumps({
    "alert": "erpops.monitor.violation", "check": "{{ event.payload.check }}", "value": "{{ event.payload.value }}",
    "limit": "{{ event.payload.limit }}", "summary": "{{ event.payload.summary }}",
    "resource": "{{ event.resource.id }}", "flow_run_id": "{{ event.payload.flow_run_id }}",
    "occurred": "{{ event.occurred }}"})
_FAILED_RUN_PAYLOAD = json.dumps({
    "alert": "{{ event.event }}", "flow": "{{ flow.name }}", "flow_run": "{{ flow_run.name }}",
    "flow_run_id": "{{ flow_run.id }}", "message": "{{ flow_run.state.message }}", "occurred": "{{ event.occurred }}"})


class Applied(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class AutomationResult:
    name: str
    status: Applied
    id: str | None
    detail: str


def save_webhook(url: str) -> UUID:
    """Create or overwrite the `erpops-alerts` Webhook block; its document id."""
    from prefect.blocks.webhook import Webhook
    from prefect.types import SecretDict
    from pydantic import SecretStr

    block = Webhook(method="POST", url=SecretStr(url), headers=SecretDict({"Content-Type": "application/json"}))
    return cast(UUID, block.save(WEBHOOK_BLOCK, overwrite=True))


def ensure_risk_deployment() -> tuple[UUID, str]:
    """Register (or update) the `ops-risk` deployment, on the `erpops` work pool when that exists; its id and where.

    Applied on every call: a pool created after the first apply is picked up by the next one."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.types.entrypoint import EntrypointType

    from flows.ops_risk import ops_risk

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool("erpops")
            pool: str | None = "erpops"
        except ObjectNotFound:
            pool = None
    # A module entrypoint: a worker anywhere erpops is installed finds the flow, whatever its working directory.
    deployment = cast(Any, ops_risk).to_deployment(name="ops-risk", tags=["phase:operate"],
                                                   entrypoint_type=EntrypointType.MODULE_PATH,
                                                   description="Raise OPS-MONITOR when the newest monitor runs failed.")
    deployment_id = cast(UUID, deployment.apply(work_pool_name=pool))
    where = f"on work pool {pool}" if pool else "without a work pool (serve it, or deploy infra/prefect.yaml)"
    return deployment_id, f"registered {where}"


def _upsert(automation: Any) -> AutomationResult:
    """Create the automation, or update the one of the same name (a second apply changes nothing else)."""
    from prefect.automations import Automation
    from prefect.exceptions import ObjectNotFound

    try:
        existing = cast(Any, Automation.read(name=automation.name))
    except (ObjectNotFound, ValueError):
        existing = None
    if existing is None:
        created = cast(Any, automation.create())
        return AutomationResult(automation.name, Applied.CREATED, str(created.id), automation.description)
    automation.id = existing.id
    automation.update()
    return AutomationResult(automation.name, Applied.UPDATED, str(existing.id), automation.description)


def apply_automations(*, webhook_url: str | None, failed_runs: int = 3,
                      window: timedelta = timedelta(hours=2)) -> list[AutomationResult]:
    """Create or update the three automations; the alerts are skipped (and said so) without a webhook URL."""
    from prefect.automations import Automation, EventTrigger, Posture
    from prefect.events.actions import CallWebhook, RunDeployment

    block_id = save_webhook(webhook_url) if webhook_url else None
    results = []
    if block_id is None:
        results.append(AutomationResult(VIOLATION, Applied.SKIPPED, None, "no alert webhook: set "
                                        "ERPOPS_ALERT_WEBHOOK_URL or pass --webhook-url"))
    else:
        results.append(_upsert(Automation(
            name=VIOLATION, description="each monitor violation is POSTed to the alert webhook",
            trigger=EventTrigger(expect={"erpops.monitor.violation"}, match={"prefect.resource.id": "erpops.erp.*"},
                                 posture=Posture.Reactive, threshold=1, within=timedelta(0)),
            actions=[CallWebhook(block_document_id=block_id, payload=_VIOLATION_PAYLOAD)])))
    deployment_id, registered = ensure_risk_deployment()
    risk_actions: list[Any] = [RunDeployment(source="selected", deployment_id=deployment_id,
                                             parameters={"flow_name": "monitor", "runs": failed_runs},
                                             job_variables=None)]
    if block_id is not None:
        risk_actions.append(CallWebhook(block_document_id=block_id, payload=_FAILED_RUN_PAYLOAD))
    results.append(_upsert(Automation(
        name=FAILING, description=f"{failed_runs} failed monitor runs within {window} run the ops-risk deployment "
                                  f"({registered}), which raises risk OPS-MONITOR when they were in a row",
        trigger=EventTrigger(expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
                             match_related={"prefect.resource.role": "flow", "prefect.resource.name": "monitor"},
                             posture=Posture.Reactive, threshold=failed_runs, within=window),
        actions=risk_actions)))
    if block_id is None:
        results.append(AutomationResult(MIGRATION_FAILED, Applied.SKIPPED, None, "no alert webhook: set "
                                        "ERPOPS_ALERT_WEBHOOK_URL or pass --webhook-url"))
    else:
        results.append(_upsert(Automation(
            name=MIGRATION_FAILED, description="a failed or crashed migration or cutover run is POSTed to the alert "
                                               "webhook",
            trigger=EventTrigger(expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
                                 match_related={"prefect.resource.role": "flow",
                                                "prefect.resource.name": ["migration", "cutover"]},
                                 posture=Posture.Reactive, threshold=1, within=timedelta(0)),
            actions=[CallWebhook(block_document_id=block_id, payload=_FAILED_RUN_PAYLOAD)])))
    return results
