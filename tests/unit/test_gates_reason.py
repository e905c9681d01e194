"""The milestone-gates run's failure message: each failed milestone and the first criterion that did not hold."""

from __future__ import annotations

from datetime import date

from erp_models.enums import MilestoneStatus
from erp_models.project.criteria import CriterionVerdict
from erp_models.project.gates import MilestoneVerdict
from flows.plan import failed_reason, failing_criterion


def milestone(code: str, status: MilestoneStatus, *criteria: CriterionVerdict) -> MilestoneVerdict:
    return MilestoneVerdict(code=code, name=f"{code} name", owner="王芳", due_on=date(2027, 4, 30), status=status,
                            approval_required=False, criteria=list(criteria))


HELD = CriterionVerdict(expression="tests.integration.pass_rate >= 0.95", key="tests.integration.pass_rate",
                        value=1.0, passed=True)
DIRTY = CriterionVerdict(expression="migration.sales_orders.quarantine_rate <= 0.005",
                         key="migration.sales_orders.quarantine_rate", value=0.0477, passed=False)
MISSING = CriterionVerdict(expression="feedback.open_major == 0", key="feedback.open_major", value=None, passed=False)


def test_only_failed_milestones_are_named_each_with_its_first_failing_criterion() -> None:
    verdicts = [milestone("M6", MilestoneStatus.PASSED, HELD),
                milestone("M7", MilestoneStatus.FAILED, HELD, DIRTY, MISSING),
                milestone("M8", MilestoneStatus.FAILED, MISSING)]
    assert failed_reason(verdicts) == ("2 milestone(s) failed: M7 M7 name: migration.sales_orders.quarantine_rate "
                                       "<= 0.005 is 0.0477; M8 M8 name: feedback.open_major == 0 is without evidence")


def test_no_failed_milestone_is_no_reason() -> None:
    assert failed_reason([milestone("M6", MilestoneStatus.PASSED, HELD),
                          milestone("M8", MilestoneStatus.PENDING, MISSING)]) is None
    assert failing_criterion(milestone("M6", MilestoneStatus.PASSED, HELD)) == ""
