"""Named domain errors: every broken business rule raises one, with a stable machine-readable code."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused an action; `code` is stable and shown to API clients."""

    code = "domain_error"

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    """Well-formed input that the rules reject (a zero quantity, an unknown SKU code in a line)."""

    code = "invalid_input"


class Conflict(DomainError):
    """The action contradicts the current state of the data."""

    code = "conflict"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class InvalidTransition(Conflict):
    """A document cannot move from its current status to the requested one."""

    code = "invalid_transition"


class OverReceipt(Conflict):
    code = "over_receipt"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class PermissionDenied(DomainError):
    code = "permission_denied"


class Frozen(DomainError):
    """Business writes are frozen (a go-live cutover); the caller should retry after `retry_after_s`."""

    code = "frozen"


class TooManyAttempts(DomainError):
    """Too many refused sign-ins from one client in a short time; retry after `retry_after_s`."""

    code = "too_many_attempts"
