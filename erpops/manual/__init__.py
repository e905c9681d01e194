"""Operation manuals per role, generated from the roles, permissions and HTTP API the code defines."""

from erpops.manual.model import RoleManual, build_manual, build_manuals
from erpops.manual.operations import Operation, api_operations
from erpops.manual.writer import ManualSet, write_manuals

__all__ = ["ManualSet", "Operation", "RoleManual", "api_operations", "build_manual", "build_manuals",
           "write_manuals"]
