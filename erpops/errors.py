"""Turns the exceptions a user can cause into one line and an exit code."""

from __future__ import annotations

import sys


def user_message(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, line) for a user-fixable error; None for a bug, which keeps its traceback."""
    from infra.errors import ErpopsError

    if isinstance(exc, ErpopsError):
        return exc.exit_code, exc.message
    domain = sys.modules.get("erp_models.errors")
    if domain is not None and isinstance(exc, domain.DomainError):
        return 2, exc.message
    for module, name in (("erp_models.migration.mapping", "MappingError"),
                         ("erp_models.migration.service.extract", "SourceError"),
                         ("erp_models.migration.transform", "TransformError"),
                         ("erp_models.project.spec", "PlanError"),
                         ("erp_models.cutover.runbook", "RunbookError"),
                         ("erp_models.loadtest.grammar", "ThresholdError"),
                         ("erp_models.loadtest.stats", "LoadResultError")):
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(exc, cls):
            return 2, str(exc)
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.OperationalError):
        # A connection lost mid-command: the driver's last line says why.
        return 3, f"PostgreSQL error: {str(exc.orig).strip().splitlines()[-1]}"
    return None
