"""Security: users, roles and permissions, hashed API tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, func, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, CreatedAt, IntPK, Name


class User(Base):
    __tablename__ = "users"

    id: Mapped[IntPK]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[Name]
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[CreatedAt]


class Role(Base):
    """A role such as ``admin`` or ``warehouse``; see ``erp_models.enums.RoleName`` for the built-in ones."""

    __tablename__ = "roles"

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))


class Permission(Base):
    __tablename__ = "permissions"

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. "sales.place_order"
    description: Mapped[str | None] = mapped_column(String(500))


class RolePermission(Base):
    __tablename__ = "role_permissions"

    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    permission_id: Mapped[int] = mapped_column(
        ForeignKey("permissions.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[int] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ApiToken(Base):
    """An API token, stored only as its SHA-256 hex digest; the plain token is shown once at creation."""

    __tablename__ = "api_tokens"
    # Bookkeeping, not ERP business content: excluded from content fingerprints.
    __table_args__ = ({"info": {"erp_content": False}},)

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="RESTRICT"), index=True)
    # The token's public id part: tokens are looked up by it, then their hashes compared in constant time.
    token_prefix: Mapped[str] = mapped_column(String(12), unique=True, info={"fingerprint": False})
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"fingerprint": False})
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info={"fingerprint": False}
    )


class AuditLogEntry(Base):
    """Who did what to which entities; written by the domain services in the same transaction."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity_occurred_at", "entity", "occurred_at"),
        {"info": {"erp_content": False}},
    )

    id: Mapped[IntPK]
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True, info={"fingerprint": False}
    )
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_ids: Mapped[list[Any]] = mapped_column(JSONB)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
