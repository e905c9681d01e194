"""Security area: users, roles, permissions, API tokens and the audit log."""

from erp_models.security.models import (
    ApiToken,
    AuditLogEntry,
    Permission,
    Role,
    RolePermission,
    User,
    UserRole,
)

__all__ = ["ApiToken", "AuditLogEntry", "Permission", "Role", "RolePermission", "User", "UserRole"]
