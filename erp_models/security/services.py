"""Roles, permissions and API tokens: issuing, authenticating, revoking, and syncing the built-in roles.

Tokens look like `erp_<id>_<secret>`. Only a SHA-256 digest is stored; a token is found by its public
id and its digest compared in constant time, so neither lookups nor comparisons leak the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from erp_models.security.audit import audit
from erp_models.security.permissions import PERMISSIONS, ROLE_DESCRIPTIONS, ROLE_PERMISSIONS

TOKEN_PREFIX = "erp"


@dataclass(frozen=True)
class Principal:
    """Who is calling, in which role, allowed to do what."""

    username: str
    role: str
    permissions: frozenset[str]

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise PermissionDenied(f"role {self.role!r} lacks permission {permission!r}", permission=permission)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    token_id: str
    username: str
    role: str
    expires_at: datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sync_roles_and_permissions(session: Session) -> None:
    """Make the permissions, built-in roles and their grants in the database match the code."""
    for code, description in PERMISSIONS.items():
        session.execute(
            text("""INSERT INTO permissions (code, description) VALUES (:c, :d)
                    ON CONFLICT (code) DO UPDATE SET description = EXCLUDED.description"""),
            {"c": code, "d": description},
        )
    for role, granted in ROLE_PERMISSIONS.items():
        session.execute(
            text("""INSERT INTO roles (name, description) VALUES (:r, :d)
                    ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description"""),
            {"r": role.value, "d": ROLE_DESCRIPTIONS[role]},
        )
        session.execute(
            text("""DELETE FROM role_permissions rp USING roles r, permissions p
                    WHERE rp.role_id = r.id AND rp.permission_id = p.id AND r.name = :r AND NOT p.code = ANY(:g)"""),
            {"r": role.value, "g": sorted(granted)},
        )
        session.execute(
            text("""INSERT INTO role_permissions (role_id, permission_id)
                    SELECT r.id, p.id FROM roles r, permissions p WHERE r.name = :r AND p.code = ANY(:g)
                    ON CONFLICT DO NOTHING"""),
            {"r": role.value, "g": sorted(granted)},
        )


def issue_token(
    session: Session, *, username: str, role: str, actor: str, expires_in: timedelta | None = None
) -> IssuedToken:
    """Create the user if new, grant the role, and issue a token for it (printed once by the caller)."""
    user_id, role_id = grant_role(session, username=username, role=role)
    token_id = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    expires_at = datetime.now(UTC) + expires_in if expires_in is not None else None
    row_id = session.execute(
        text("""INSERT INTO api_tokens (user_id, role_id, token_prefix, token_hash, expires_at)
                VALUES (:u, :r, :p, :h, :e) RETURNING id"""),
        {"u": user_id, "r": role_id, "p": token_id, "h": digest(token), "e": expires_at},
    ).scalar_one()
    audit(session, actor=actor, action="security.issue_token", entity="api_tokens", ids=[row_id],
          username=username, role=role)
    return IssuedToken(token, token_id, username, role, expires_at)


def grant_role(session: Session, *, username: str, role: str) -> tuple[int, int]:
    """Create the user if new and grant it the role; their ids."""
    if not username.strip() or len(username) > 64:
        raise InvalidInput("a username is 1 to 64 characters", username=username)
    role_id = session.execute(text("SELECT id FROM roles WHERE name = :r"), {"r": role}).scalar_one_or_none()
    if role_id is None:
        known = ", ".join(session.execute(text("SELECT name FROM roles ORDER BY name")).scalars())
        raise InvalidInput(f"unknown role {role!r} (roles: {known})", role=role)
    user_id = session.execute(
        text("""INSERT INTO users (username, display_name) VALUES (:u, :u)
                ON CONFLICT (username) DO UPDATE SET username = EXCLUDED.username RETURNING id"""),
        {"u": username},
    ).scalar_one()
    session.execute(text("INSERT INTO user_roles VALUES (:u, :r) ON CONFLICT DO NOTHING"), {"u": user_id, "r": role_id})
    return int(user_id), int(role_id)


def roles_of(session: Session, username: str) -> list[str] | None:
    """The roles granted to an active user, by name; None when there is no such active user."""
    row = session.execute(
        text("""SELECT u.active, coalesce(array_agg(r.name ORDER BY r.name) FILTER (WHERE r.name IS NOT NULL), '{}')
                FROM users u LEFT JOIN user_roles ur ON ur.user_id = u.id LEFT JOIN roles r ON r.id = ur.role_id
                WHERE u.username = :u GROUP BY u.id"""), {"u": username}).one_or_none()
    return list(row[1]) if row is not None and row[0] else None


def permissions_of(session: Session, role: str) -> frozenset[str]:
    return frozenset(session.execute(
        text("""SELECT p.code FROM roles r JOIN role_permissions rp ON rp.role_id = r.id
                JOIN permissions p ON p.id = rp.permission_id WHERE r.name = :r"""), {"r": role}).scalars())


def authenticate(session: Session, token: str) -> Principal:
    """The principal a bearer token stands for, or Unauthenticated."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 8:
        raise Unauthenticated("malformed API token")
    row = session.execute(
        text("""SELECT t.token_hash, u.username, r.name, u.active,
                       t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > clock_timestamp()) AS valid,
                       coalesce(array_agg(p.code) FILTER (WHERE p.code IS NOT NULL), '{}') AS perms
                FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN roles r ON r.id = t.role_id
                LEFT JOIN role_permissions rp ON rp.role_id = r.id LEFT JOIN permissions p ON p.id = rp.permission_id
                WHERE t.token_prefix = :p GROUP BY t.id, u.id, r.id"""),
        {"p": parts[1]},
    ).one_or_none()
    stored = row[0] if row is not None else digest("")
    matches = hmac.compare_digest(stored, digest(token))
    if row is None or not matches or not row.active or not row.valid:
        raise Unauthenticated("invalid, expired or revoked API token")
    return Principal(username=row[1], role=row[2], permissions=frozenset(row.perms))


def revoke_token(session: Session, *, token_id: str, actor: str) -> None:
    revoked = session.execute(
        text("UPDATE api_tokens SET revoked_at = now() WHERE token_prefix = :p AND revoked_at IS NULL RETURNING id"),
        {"p": token_id},
    ).scalar_one_or_none()
    if revoked is None:
        raise NotFound(f"no active token with id {token_id!r}", token_id=token_id)
    audit(session, actor=actor, action="security.revoke_token", entity="api_tokens", ids=[revoked])
