"""The trial-run portal's records: one-time sign-in links, signed-in sessions, failed sign-ins (for the rate
limit), feedback screenshots, and the server's own signing keys.

None of it is ERP business content: sign-ins and keys leave the content fingerprint unchanged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, IntPK

NOT_CONTENT = {"info": {"erp_content": False}}


class PortalInvite(Base):
    """A one-time sign-in link for a user in a role (`erpops portal invite`); only the token's digest is kept."""

    __tablename__ = "portal_invites"
    __table_args__ = (NOT_CONTENT,)

    id: Mapped[IntPK]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"fingerprint": False})
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PortalSession(Base):
    """A signed-in browser: the cookie holds a random id, the table its digest and the form (CSRF) token."""

    __tablename__ = "portal_sessions"
    __table_args__ = (NOT_CONTENT,)

    id: Mapped[IntPK]
    session_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"fingerprint": False})
    csrf_token: Mapped[str] = mapped_column(String(64), info={"fingerprint": False})
    username: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(64))
    signed_in_with: Mapped[str] = mapped_column(String(16))  # "token" or "invite"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PortalLoginFailure(Base):
    """A refused sign-in, by client address: too many in a window and the portal answers 429 for a while."""

    __tablename__ = "portal_login_failures"
    __table_args__ = (Index("ix_portal_login_failures_client_at", "client", "at"), NOT_CONTENT)

    id: Mapped[IntPK]
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FeedbackAttachment(Base):
    """A screenshot sent with a feedback item: stored under the server's upload directory by a random name, with
    the type read from its bytes (never from the browser's claim)."""

    __tablename__ = "feedback_attachments"
    __table_args__ = (
        CheckConstraint("size_bytes BETWEEN 1 AND 5242880", name="size_range"),
        CheckConstraint("content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')", name="image_type"),
        NOT_CONTENT,
    )

    id: Mapped[IntPK]
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)  # <uuid>.<ext>, under the upload directory
    original_name: Mapped[str] = mapped_column(String(200))  # shown only, never used as a path
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SigningKey(Base):
    """A secret the servers share through the database: the key that signs report links (`purpose`)."""

    __tablename__ = "signing_keys"
    __table_args__ = (NOT_CONTENT,)

    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128), info={"fingerprint": False})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
