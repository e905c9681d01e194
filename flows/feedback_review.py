"""Operate phase: the feedback review. Ages every open feedback item against its severity's SLA, publishes the
backlog, the breaches and the weekly trend, and records the evidence the hypercare milestone (M8) reads:
`feedback.open_major` and `feedback.sla_breaches`.

A breach opens (or updates) the `feedback.sla` incident and the run ends Failed with the breaches as its message; a
review without breaches resolves it. Deployed weekly (infra/prefect.yaml); `erpops ops feedback-review` runs it once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, runtime, tags
from prefect.client.schemas.objects import State
from prefect.states import Failed
from pydantic import BaseModel, Field

from tasks.ops.feedback import FeedbackReview, ReviewStatus, age_feedback, record_review, resolve_feedback_spec
from tasks.ops.feedback_artifacts import publish_feedback_artifacts


class FeedbackReviewParams(BaseModel):
    """What the Prefect UI's run form asks for."""

    plan_file: str | None = Field(default=None, description="A plan file whose `operations.feedback` section sets "
                                  "the SLA per severity; default: critical 4 h, major 24 h, minor 120 h")


def _run_name() -> str:
    return f"feedback-review/{datetime.now(UTC):%Y-%m-%dT%H:%M}"


@flow(name="feedback-review", flow_run_name=_run_name, log_prints=True)
def feedback_review(params: FeedbackReviewParams) -> FeedbackReview | State:
    """Age the backlog, record evidence and the SLA incident, publish; Failed while an item is past its SLA."""
    spec = resolve_feedback_spec(params.plan_file)
    review = age_feedback(spec, str(runtime.flow_run.id))
    review = record_review(review, spec)
    publish_feedback_artifacts(review)
    print(f"feedback review: {len(review.backlog)} open, {len(review.breaches)} past SLA"
          + (f" ({review.reason})" if review.reason else ""))
    if review.status is ReviewStatus.FAILED:
        return Failed(message=review.reason, data=review)
    return review


def run_feedback_review(params: FeedbackReviewParams) -> tuple[State, FeedbackReview | None]:
    """Run the flow tagged `phase:operate`; its final state, and its review when it has one."""
    with tags("phase:operate"):
        state: State = feedback_review(params, return_state=True)
    data = state.result(raise_on_failure=False) if state.is_completed() or state.is_failed() else None
    return state, data if isinstance(data, FeedbackReview) else None
