"""infra/prefect.yaml: every deployment's entrypoint loads the flow it names (a moved module breaks `prefect deploy`
and the UI's Run button, not the CLI, so nothing else would notice), its default parameters fill the flow's typed
form, and `erpops deploy` sends it to the pool it is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.flows import load_flow_from_entrypoint

from infra.deployments import deployment_specs

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENTS = yaml.safe_load((ROOT / "infra" / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
PHASES = {"phase:plan", "phase:migrate", "phase:test", "phase:deploy", "phase:go-live", "phase:operate"}
# Every phase the seed names, as a deployment a PM can start from the UI.
EXPECTED = {"plan", "milestone-gates", "migration", "test-suites", "load-test", "cutover", "monitor", "restore-drill",
            "analysis", "feedback-review"}


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_each_deployment_entrypoint_loads_its_flow(deployment: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # entrypoints are relative to the project, where `prefect deploy` runs
    flow = load_flow_from_entrypoint(deployment["entrypoint"])
    assert flow.name == deployment["name"]  # each deployment is named after its flow, as the UI lists them
    flow.validate_parameters(deployment.get("parameters") or {})  # the Run form starts from valid values
    assert set(deployment["tags"]) & PHASES, "every deployment carries its phase's tag, as the runs list filters"
    assert all(schedule["active"] is False for schedule in deployment.get("schedules", [])), \
        "schedules are registered off: `erpops deploy --apply-schedules` turns them on"


def test_every_phase_is_deployed_and_the_scheduled_ones_have_a_schedule() -> None:
    names = {d["name"] for d in DEPLOYMENTS}
    assert EXPECTED <= names, EXPECTED - names
    scheduled = {d["name"] for d in DEPLOYMENTS if d.get("schedules")}
    assert {"monitor", "restore-drill", "analysis", "feedback-review"} <= scheduled


def test_deploy_sends_every_deployment_to_the_pool_it_is_given_and_pulls_from_the_checkout() -> None:
    spec = deployment_specs("team-pool", root=Path("/srv/erpops"))
    assert {d["work_pool"]["name"] for d in spec["deployments"]} == {"team-pool"}
    assert spec["pull"] == [{"prefect.deployments.steps.set_working_directory": {"directory": "/srv/erpops"}}]
    assert len(spec["deployments"]) == len(DEPLOYMENTS)
