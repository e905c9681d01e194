"""The audit log: every write records who did it, what it was and which records it touched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from erp_models.security.models import AuditLogEntry


def audit(
    session: Session, *, actor: str, action: str, entity: str, ids: Sequence[int], **detail: Any
) -> None:
    """Append one audit row in the caller's transaction."""
    session.execute(
        insert(AuditLogEntry),
        {"actor": actor, "action": action, "entity": entity, "entity_ids": list(ids), "detail": detail or None},
    )
