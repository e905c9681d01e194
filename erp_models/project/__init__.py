"""Project area: the ERP implementation project's plan, gates, budget, training, feedback and evidence."""

from erp_models.project.models import (
    BudgetLine,
    Evidence,
    Feedback,
    Milestone,
    Phase,
    Project,
    Requirement,
    Risk,
    SpendEntry,
    TrainingAttendance,
    TrainingSession,
    Vendor,
    VendorScore,
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
