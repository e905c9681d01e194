"""The demo's trial run: operation manuals for every role, a training session held and one coming up, trial-run
feedback, and a one-time sign-in link to the trial-run portal for one of the trainees.

These stand in for what people do during a real trial run, so the gates that read manual, training and
feedback evidence have something to judge. Running the demo again adds nothing new but a fresh sign-in link.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

TRAINEES = ["张伟", "李娜", "王磊", "刘洋", "陈静"]
PORTAL_USER, PORTAL_ROLE = "李娜", "warehouse"  # a trainee who signs in to the portal
FEEDBACK = [
    ("inventory", "major", "盘点差异原因下拉框缺少 '破损' / Cycle count reasons lack 'damaged'",
     "Counting the Hangzhou warehouse, 3 damaged items could only be booked as 'other'."),
    ("sales", "minor", "订单列表默认排序 / Order list should sort newest first",
     "Support staff look for today's Douyin orders first."),
]


def run_trial(manual_dir: Path) -> dict[str, Any]:
    """Write the manuals and record the sample training and feedback (once); returns their evidence."""
    from erp_models.enums import FeedbackSeverity
    from erp_models.portal.sign_in import invite
    from erp_models.project import delivery
    from erp_models.project.evidence import record_evidence
    from erp_models.project.loading import project_by_code
    from erp_models.project.models import Feedback, TrainingSession
    from erpops.manual.writer import write_manuals
    from infra.db import UnitOfWork
    from infra.settings import get_settings

    manuals = write_manuals(manual_dir)
    with UnitOfWork() as uow:
        s = uow.session
        record_evidence(s, source="erpops demo: operation manuals", values={"manual.roles": len(manuals.operations)},
                        detail={"dir": str(manual_dir)})
        if not s.scalar(select(func.count()).select_from(TrainingSession)):
            session = delivery.schedule_training(
                s, project_id=project_by_code(s, None).id, title="仓库收发货与盘点 Receiving, shipping and counts",
                role="warehouse", scheduled_at=datetime(2026, 11, 20, 6, 0, tzinfo=UTC), trainer="陈静",
                invitees=TRAINEES)
            delivery.record_attendance(s, training_id=session.id, attendees=TRAINEES[:4])
            delivery.schedule_training(
                s, project_id=project_by_code(s, None).id, title="退货与库存调整 Returns and stock adjustments",
                role="warehouse", scheduled_at=datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
                + timedelta(days=7), trainer="陈静", invitees=TRAINEES[:3])
        if not s.scalar(select(func.count()).select_from(Feedback)):
            for module, severity, title, body in FEEDBACK:
                delivery.submit_feedback(s, project_id=None, module=module, severity=FeedbackSeverity(severity),
                                         title=title, body=body, submitted_by="trial-run")
        training, feedback = delivery.training_evidence(s), delivery.feedback_evidence(s)
        record_evidence(s, source="erpops demo: training attendance", values=training)  # as of this erpops
        link = invite(s, username=PORTAL_USER, role=PORTAL_ROLE, actor="erpops demo")
        uow.commit()
    return {"manual_roles": len(manuals.operations), "manual_dir": str(manual_dir),
            "attendance_rate": training["training.attendance_rate"],
            "open_feedback": int(feedback["feedback.open_total"]),
            "portal": {"user": link.username, "role": link.role, "expires_at": link.expires_at.isoformat(),
                       "link": f"{get_settings().base_url}/portal/invite/{link.token}"}}
