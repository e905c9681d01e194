"""Plan phase: load the plan, judge milestone gates on evidence (with sign-offs), and report to the PM."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

from prefect import flow, runtime, tags
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
)
from prefect.client.schemas.objects import State
from prefect.input import RunInput
from prefect.states import Failed
from pydantic import BaseModel, Field

from erp_models.enums import MilestoneStatus
from erp_models.project.gates import MilestoneVerdict
from flows.decisions import ask_named, pause_key
from tasks.charts import png_data_uri
from tasks.plan.report import budget_markdown, met_share, milestones_markdown, risk_rows, vendor_rows
from tasks.plan.snapshot import PlanSnapshot
from tasks.plan.tasks import (
    PlanLoaded,
    evaluate_gates,
    load_plan_file,
    record_decision,
    render_charts,
    snapshot_plan,
)
from tasks.report_links import publish_link


class PlanParams(BaseModel):
    plan_file: str = Field(description="Path of the plan YAML file, e.g. examples/plan.yaml")
    as_of: date | None = Field(default=None, description="Report as of this day (default: today)")
    reports_dir: str | None = Field(default=None, description="Where the chart PNGs go (default: <state dir>/reports)")


class GatesParams(BaseModel):
    project: str | None = Field(default=None, description="Project code (default: the latest loaded plan)")
    as_of: date | None = Field(default=None, description="Judge due dates as of this day (default: today)")
    ask_for_approval: bool = Field(default=True, description="Pause for a sign-off on each milestone that needs one")
    approval_timeout_s: int = Field(default=3600, ge=1, description="How long to wait for each sign-off")
    reports_dir: str | None = Field(default=None, description="Where the chart PNGs go (default: <state dir>/reports)")


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class SignOff(RunInput):
    """The form the Prefect UI shows when a milestone's criteria hold and a person must sign it off."""

    decision: Verdict = Field(description="Approve or reject the milestone: an explicit choice, nothing preset")
    # Required, with minLength 1 in the form's schema; the flow refuses an empty name itself (flows.decisions).
    approver: str = Field(description="Your name (required)", json_schema_extra={"minLength": 1})
    note: str = Field(default="", description="Why, or on what condition")


class PlanOutcome(BaseModel):
    project_code: str
    loaded: PlanLoaded | None = None
    milestones: list[MilestoneVerdict] = Field(default_factory=list)
    charts: dict[str, str] = Field(default_factory=dict)
    flow_run_id: str = ""


def _param(name: str) -> object:
    raw = runtime.flow_run.parameters.get("params")
    return getattr(raw, name, None) if not isinstance(raw, dict) else raw.get(name)


def _plan_run_name() -> str:
    return f"plan/{Path(str(_param('plan_file') or 'plan')).stem}"


def _gates_run_name() -> str:
    return f"milestone-gates/{_param('as_of') or date.today().isoformat()}"


def failing_criterion(milestone: MilestoneVerdict) -> str:
    """The first criterion that does not hold and the value it saw, e.g. `x <= 0.005 is 0.0477` ('' if none)."""
    failing = next((c for c in milestone.criteria if not c.passed), None)
    if failing is None:
        return ""
    return f"{failing.expression} is " + ("without evidence" if failing.value is None else f"{failing.value:g}")


def failed_reason(milestones: list[MilestoneVerdict]) -> str | None:
    """Which milestones failed and, for each, the first criterion that did not hold (None when none failed)."""
    reasons = [f"{m.code} {m.name}" + (f": {why}" if (why := failing_criterion(m)) else "")
               for m in milestones if m.status == MilestoneStatus.FAILED]
    return f"{len(reasons)} milestone(s) failed: " + "; ".join(reasons) if reasons else None


@flow(name="plan", flow_run_name=_plan_run_name, log_prints=True)
def plan(params: PlanParams) -> PlanOutcome:
    """Validate and load the plan, rank the vendors, and report budget and timeline."""
    flow_run = str(runtime.flow_run.id)
    loaded = load_plan_file(params.plan_file, source=f"plan flow run {flow_run}")
    charts = publish_status(snapshot_plan(loaded.project_code, params.as_of or date.today()), params.reports_dir)
    print(f"plan {loaded.project_code} loaded" + ("" if loaded.changed else " (unchanged)"))
    return PlanOutcome(project_code=loaded.project_code, loaded=loaded, charts=charts, flow_run_id=flow_run)


@flow(name="milestone-gates", flow_run_name=_gates_run_name, log_prints=True)
def milestone_gates(params: GatesParams) -> PlanOutcome | State:
    """Judge every milestone on the latest evidence, ask for sign-offs, raise risks, and report; the run ends
    Failed, with the failing milestones and criteria as its message, when a milestone failed."""
    flow_run = str(runtime.flow_run.id)
    today = params.as_of or date.today()
    verdicts = evaluate_gates(params.project, today, source=f"milestone-gates flow run {flow_run}")
    for milestone in verdicts:
        if milestone.status == "awaiting_approval" and params.ask_for_approval:
            ask_for_sign_off(params.project, milestone, params.approval_timeout_s)
    snapshot = snapshot_plan(params.project, today)
    charts = publish_status(snapshot, params.reports_dir)
    statuses = {ms["code"]: ms["status"] for ms in snapshot.milestones}
    milestones = [m.model_copy(update={"status": MilestoneStatus(statuses.get(m.code, m.status))}) for m in verdicts]
    for m in milestones:
        print(f"{m.code} {m.name}: {m.status}" + (f" (raised {', '.join(m.raised_risks)})" if m.raised_risks else ""))
    outcome = PlanOutcome(project_code=snapshot.project_code, milestones=milestones, charts=charts,
                          flow_run_id=flow_run)
    reason = failed_reason(milestones)
    return outcome if reason is None else Failed(message=reason, data=outcome)


def run_gates(params: GatesParams) -> tuple[State, PlanOutcome | None]:
    """Run the gates flow tagged `phase:plan`; its final state, and its outcome when it has one (a run whose
    milestones failed ends Failed and still has one)."""
    with tags("phase:plan"):
        state: State = milestone_gates(params, return_state=True)
    data = state.result(raise_on_failure=False) if state.is_completed() or state.is_failed() else None
    return state, data if isinstance(data, PlanOutcome) else None


@flow(name="plan-status", log_prints=True)
def plan_status(project: str | None = None, as_of: date | None = None,
                reports_dir: str | None = None) -> PlanOutcome:
    """Refresh the PM's artifacts without judging the gates again."""
    snapshot = snapshot_plan(project, as_of or date.today())
    return PlanOutcome(project_code=snapshot.project_code, charts=publish_status(snapshot, reports_dir),
                       flow_run_id=str(runtime.flow_run.id))


def ask_for_sign_off(project: str | None, milestone: MilestoneVerdict, timeout_s: int) -> None:
    """Pause this run until a named person approves or rejects the milestone in the Prefect UI."""
    evidence = "\n".join(f"- `{c.expression}`: {c.value:g} ✔" for c in milestone.criteria if c.value is not None)
    print(f"{milestone.code} awaits sign-off: resume this flow run in the Prefect UI to approve or reject it")
    decision = ask_named(SignOff, description=f"## Sign-off: {milestone.code} {milestone.name}\n\nOwner: "
                                              f"{milestone.owner}, due {milestone.due_on}. Every criterion "
                                              f"holds:\n\n{evidence}",
                         initial={}, name_of=lambda a: a.approver, expected=None,
                         key=pause_key("sign-off", milestone.code), timeout_s=timeout_s)
    if decision.answer is None:
        print(f"{milestone.code}: {decision.why_none}; it stays awaiting approval")
        return
    answer = decision.answer
    record_decision(project, milestone.code, answer.decision is Verdict.APPROVE, answer.approver.strip(), answer.note)


def publish_status(snapshot: PlanSnapshot, reports_dir: str | None) -> dict[str, str]:
    """The PM's view in the Prefect UI, under stable keys so the newest version is always the one shown."""
    charts = render_charts(snapshot, reports_dir)
    create_markdown_artifact(milestones_markdown(snapshot, png_data_uri(Path(charts.gantt))), key="milestones",
                             description=f"{snapshot.project_code}: milestone gates and their evidence")
    create_progress_artifact(met_share(snapshot), key="milestone-progress",
                             description=f"{snapshot.project_code}: share of milestones met")
    create_table_artifact(risk_rows(snapshot), key="risks", description=f"{snapshot.project_code}: risk register")
    create_table_artifact(vendor_rows(snapshot), key="vendors",
                          description=f"{snapshot.project_code}: vendors ranked by weighted score")
    create_markdown_artifact(budget_markdown(snapshot, png_data_uri(Path(charts.budget))), key="budget",
                             description=f"{snapshot.project_code}: budget and spend per phase")
    publish_link(Path(charts.gantt), link_text="milestone timeline (PNG)", key="milestone-timeline")
    publish_link(Path(charts.budget), link_text="budget burn (PNG)", key="budget-burn")
    return charts.model_dump()
