"""Models of the implementation project: one import point for the plan and the tracking tables."""

from erp_models.project.plan import Milestone, Phase, Project, Requirement, Risk, Vendor, VendorScore
from erp_models.project.tracking import (
    BudgetLine,
    Evidence,
    Feedback,
    SpendEntry,
    TrainingAttendance,
    TrainingSession,
)

__all__ = [
    "BudgetLine",
    "Evidence",
    "Feedback",
    "Milestone",
    "Phase",
    "Project",
    "Requirement",
    "Risk",
    "SpendEntry",
    "TrainingAttendance",
    "TrainingSession",
    "Vendor",
    "VendorScore",
]
