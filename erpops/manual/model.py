"""A role's operation manual as data: its modules, permissions, operations, tasks, and what it may not do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from erp_models.enums import RoleName
from erp_models.security.permissions import PERMISSIONS, ROLE_DESCRIPTIONS, ROLE_PERMISSIONS
from erpops.manual.operations import Operation
from erpops.manual.procedures import Task, derive_tasks


@dataclass(frozen=True)
class Permission:
    """A permission, what it allows, and which built-in roles hold it (whom to ask when one lacks it)."""

    code: str
    description: str
    held_by: tuple[str, ...]

    @property
    def module(self) -> str:
        return module_of(self.code)


@dataclass(frozen=True)
class RoleManual:
    """Everything one role's manual says; rendered by `erpops.manual.render` and `html_page`."""

    role: RoleName
    description: str
    modules: tuple[str, ...]
    permissions: tuple[Permission, ...]
    operations: tuple[tuple[str, tuple[Operation, ...]], ...]  # (module, the operations it allows there)
    open_operations: tuple[Operation, ...]  # need a token, or nothing, but no permission
    tasks: tuple[Task, ...]
    denied_modules: tuple[str, ...]
    denied_permissions: tuple[Permission, ...]

    @property
    def operation_count(self) -> int:
        """How many API operations the role's permissions allow (operations open to all are not counted)."""
        return sum(len(ops) for _, ops in self.operations)

    def allowed(self) -> list[Operation]:
        return [op for _, ops in self.operations for op in ops]


def module_of(permission: str) -> str:
    return permission.split(".")[0]


def all_modules() -> tuple[str, ...]:
    """Modules in the order PERMISSIONS lists them."""
    return tuple(dict.fromkeys(module_of(code) for code in PERMISSIONS))


def build_manual(role: RoleName, operations: Sequence[Operation]) -> RoleManual:
    """The manual of `role`, given every operation of the API (see `api_operations`)."""
    granted = ROLE_PERMISSIONS[role]
    modules = tuple(m for m in all_modules() if any(module_of(p) == m for p in granted))
    allowed = [op for op in operations if op.permission in granted]
    grouped = tuple((m, tuple(op for op in allowed if op.module == m)) for m in modules)
    ordered = [op for _, ops in grouped for op in ops]
    return RoleManual(
        role=role,
        description=ROLE_DESCRIPTIONS[role],
        modules=modules,
        permissions=tuple(_permission(code) for code in PERMISSIONS if code in granted),
        operations=tuple((m, ops) for m, ops in grouped if ops),
        open_operations=tuple(op for op in operations if op.permission is None),
        tasks=tuple(derive_tasks(ordered)),
        denied_modules=tuple(m for m in all_modules() if m not in modules),
        denied_permissions=tuple(_permission(code) for code in PERMISSIONS if code not in granted),
    )


def build_manuals(operations: Sequence[Operation], roles: Sequence[RoleName] | None = None) -> list[RoleManual]:
    """Manuals of `roles` (default: every built-in role), in RoleName's order."""
    wanted = set(roles) if roles is not None else set(RoleName)
    return [build_manual(role, operations) for role in RoleName if role in wanted]


def _permission(code: str) -> Permission:
    holders = tuple(role.value for role in RoleName if code in ROLE_PERMISSIONS[role])
    return Permission(code=code, description=PERMISSIONS[code], held_by=holders)
