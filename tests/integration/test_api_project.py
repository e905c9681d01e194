"""The project API: trial-run feedback by role, training attendance, the milestones of the loaded plan, evidence."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from erp_models.project import spec
from erp_models.project.evidence import record_evidence, withdraw_evidence
from erp_models.project.loading import load_plan
from erp_models.security.services import issue_token
from erpops.api.app import create_app
from infra.migrate import upgrade
from tests.integration.builders import ref

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"


@dataclass
class Server:
    """The API on a database of its own: a plan loaded (and committed) there cannot leak into other tests."""

    client: TestClient
    url: URL
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        """Authorization headers of a user holding `role`, created (and committed) on first use."""
        if role not in self.tokens:
            engine = create_engine(self.url)
            with Session(engine) as session:
                self.usernames[role] = ref(role)
                token = issue_token(session, username=self.usernames[role], role=role, actor="tests").token
                session.commit()
            engine.dispose()
            self.tokens[role] = {"Authorization": f"Bearer {token}"}
        return self.tokens[role]


def serve(new_database: Callable[[], URL], *, with_plan: bool) -> Iterator[Server]:
    url = new_database()
    engine = create_engine(url)
    upgrade(engine)
    if with_plan:
        plan, sha = spec.load_plan(EXAMPLE)
        with Session(engine) as session:
            load_plan(session, plan=plan, sha256=sha)
            session.commit()
    engine.dispose()
    with TestClient(create_app(url.render_as_string(hide_password=False)), raise_server_exceptions=False) as client:
        yield Server(client, url)


@pytest.fixture(scope="module")
def planned(new_database: Callable[[], URL]) -> Iterator[Server]:
    yield from serve(new_database, with_plan=True)


@pytest.fixture(scope="module")
def unplanned(new_database: Callable[[], URL]) -> Iterator[Server]:
    yield from serve(new_database, with_plan=False)


def feedback(severity: str = "critical") -> dict[str, str]:
    return {"module": "inventory", "severity": severity, "title": "扫码入库卡顿", "body": "scanning a carton takes 5 s"}


def test_warehouse_staff_report_feedback_in_their_own_name_but_cannot_triage_it(planned: Server) -> None:
    warehouse = planned.headers("warehouse")
    submitted = planned.client.post("/api/v1/feedback", json=feedback(), headers=warehouse)
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["submitted_by"] == planned.usernames["warehouse"]
    assert submitted.json()["status"] == "open"
    triage = planned.client.post(f"/api/v1/feedback/{submitted.json()['id']}/status", json={"status": "triaged"},
                                 headers=warehouse)
    assert (triage.status_code, triage.json()["error"]) == (403, "permission_denied")


def test_a_project_manager_triages_feedback(planned: Server) -> None:
    feedback_id = planned.client.post("/api/v1/feedback", json=feedback(),
                                      headers=planned.headers("warehouse")).json()["id"]
    pm = planned.headers("pm")
    triaged = planned.client.post(f"/api/v1/feedback/{feedback_id}/status", json={"status": "triaged"}, headers=pm)
    assert (triaged.status_code, triaged.json()["status"]) == (200, "triaged")
    listed = planned.client.get("/api/v1/feedback", params={"status": "triaged"}, headers=pm).json()
    assert feedback_id in [item["id"] for item in listed]


def test_a_viewer_reads_feedback_but_cannot_report_it(planned: Server) -> None:
    viewer = planned.headers("viewer")
    feedback_id = planned.client.post("/api/v1/feedback", json=feedback("minor"),
                                      headers=planned.headers("warehouse")).json()["id"]
    listed = planned.client.get("/api/v1/feedback", headers=viewer)
    assert listed.status_code == 200
    assert feedback_id in [item["id"] for item in listed.json()]
    refused = planned.client.post("/api/v1/feedback", json=feedback(), headers=viewer)
    assert (refused.status_code, refused.json()["error"]) == (403, "permission_denied")


def test_an_unknown_severity_is_a_422_naming_the_field(planned: Server) -> None:
    response = planned.client.post("/api/v1/feedback", json=feedback("blocker"), headers=planned.headers("warehouse"))
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"error", "detail", "problems"} and body["error"] == "validation_error"
    assert ["body", "severity"] in [problem["loc"] for problem in body["problems"]]
    assert "body.severity" in body["detail"]  # detail is always a string a person reads


def test_scheduling_training_before_a_plan_is_loaded_is_404(unplanned: Server) -> None:
    body = {"title": "采购审批", "role": "purchaser", "scheduled_at": "2027-02-10T09:00:00+08:00", "trainer": "陈静",
            "invitees": ["buyer-1"]}
    response = unplanned.client.post("/api/v1/training-sessions", json=body, headers=unplanned.headers("pm"))
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    assert unplanned.client.get("/api/v1/milestones", headers=unplanned.headers("pm")).status_code == 404


def test_attendance_answers_with_the_attendance_rate(planned: Server) -> None:
    pm, invitees = planned.headers("pm"), ["张伟", "李娜", "王磊", "刘敏", "陈杰"]
    body = {"title": "仓库收货与盘点", "role": "warehouse", "scheduled_at": "2027-02-10T09:00:00+08:00",
            "trainer": "陈静", "invitees": invitees}
    scheduled = planned.client.post("/api/v1/training-sessions", json=body, headers=pm)
    assert scheduled.status_code == 201, scheduled.text
    attendance = planned.client.post(f"/api/v1/training-sessions/{scheduled.json()['id']}/attendance",
                                     json={"attendees": invitees[:4]}, headers=pm)
    assert attendance.status_code == 200, attendance.text
    assert attendance.json()["training.attendance_rate"] == 0.8
    listed = planned.client.get("/api/v1/training-sessions", headers=planned.headers("viewer")).json()
    session = next(t for t in listed if t["id"] == scheduled.json()["id"])
    assert (session["invited"], session["attended"], session["trainer"]) == (5, 4, "陈静")


def test_the_milestones_of_the_loaded_plan_are_listed_by_due_date(planned: Server) -> None:
    response = planned.client.get("/api/v1/milestones", headers=planned.headers("viewer"))
    assert response.status_code == 200
    plan, _ = spec.load_plan(EXAMPLE)
    by_due = sorted(plan.milestones, key=lambda ms: (ms.due_on, ms.code))
    assert [(ms["code"], ms["status"]) for ms in response.json()] == [(ms.code, "pending") for ms in by_due]
    # never judged yet: every criterion is listed, with no evidence value, and none passes
    assert [(c["expression"], c["value"], c["passed"]) for c in response.json()[0]["criteria"]] == [
        (c, None, False) for c in by_due[0].criteria]


def test_the_evidence_lists_each_value_with_its_run_as_the_cli_does(planned: Server) -> None:
    mapping, kept, undone = ref("mapping"), uuid.uuid4(), uuid.uuid4()
    engine = create_engine(planned.url)
    with Session(engine) as session:
        for run_id, passed in ((kept, 1.0), (undone, 0.0)):
            record_evidence(session, source=f"migration run {run_id}", values={"migration.run.passed": passed},
                            run_id=run_id, scope=mapping)
        withdraw_evidence(session, run_id=undone, by="李强", reason="run undone")
        session.commit()
    engine.dispose()

    response = planned.client.get("/api/v1/evidence", params={"prefix": "migration.run."},
                                  headers=planned.headers("viewer"))

    assert response.status_code == 200, response.text
    assert response.json()["judged"] == {"migration.run.passed": 1.0}
    listed = [(e["run_id"], e["state"], e["withdrawn_by"]) for e in response.json()["evidence"]]
    assert listed == [(str(undone), "withdrawn", "李强"), (str(kept), "judged", None)]
    assert planned.client.get("/api/v1/evidence").status_code == 401


def test_feedback_over_the_api_carries_the_callers_role_and_a_milestone(planned: Server) -> None:
    submitted = planned.client.post("/api/v1/feedback", json=feedback() | {"milestone": "M8"},
                                    headers=planned.headers("warehouse"))
    assert submitted.status_code == 201, submitted.text
    assert (submitted.json()["role"], submitted.json()["milestone"]) == ("warehouse", "M8")
    unknown = planned.client.post("/api/v1/feedback", json=feedback() | {"milestone": "M99"},
                                  headers=planned.headers("warehouse"))
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")


def test_a_project_manager_triages_with_an_owner_and_resolves_naming_the_change(planned: Server) -> None:
    feedback_id = planned.client.post("/api/v1/feedback", json=feedback("minor"),
                                      headers=planned.headers("sales")).json()["id"]
    pm = planned.headers("pm")
    refused = planned.client.post(f"/api/v1/feedback/{feedback_id}/triage", json={"severity": "major", "owner": "李娜"},
                                  headers=planned.headers("warehouse"))
    assert refused.status_code == 403
    triaged = planned.client.post(f"/api/v1/feedback/{feedback_id}/triage", json={"severity": "major", "owner": "李娜"},
                                  headers=pm)
    assert triaged.status_code == 200, triaged.text
    assert {k: triaged.json()[k] for k in ("status", "severity", "owner")} == {
        "status": "triaged", "severity": "major", "owner": "李娜"}
    without = planned.client.post(f"/api/v1/feedback/{feedback_id}/status", json={"status": "resolved"}, headers=pm)
    assert (without.status_code, without.json()["error"]) == (409, "conflict")
    resolved = planned.client.post(f"/api/v1/feedback/{feedback_id}/status",
                                   json={"status": "resolved", "change": "v1.2.3"}, headers=pm)
    assert (resolved.status_code, resolved.json()["resolved_by_change"]) == (200, "v1.2.3")
    assert resolved.json()["resolved_at"] is not None
