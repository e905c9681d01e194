"""The ERP domain models; importing this package registers every table on ``Base.metadata``."""

from erp_models import (
    catalogue,
    integration,
    inventory,
    migration,
    ops,
    partners,
    portal,
    procurement,
    project,
    sales,
    security,
    system,
)
from erp_models.base import Base

__all__ = [
    "Base",
    "catalogue",
    "integration",
    "inventory",
    "migration",
    "ops",
    "partners",
    "portal",
    "procurement",
    "project",
    "sales",
    "security",
    "system",
]
