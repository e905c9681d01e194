"""Signing in to the trial-run portal: with an API token, or with a one-time link from `erpops portal invite`.

A signed-in browser holds a random session id in a cookie; the database keeps only its digest, the user and role
it stands for, and the token every form of that session must carry (CSRF). One-time links are kept as digests too,
and a link is used up by one atomic update, so two clicks cannot both sign in. Refused sign-ins are counted per
client address: `MAX_FAILURES` in `FAILURE_WINDOW` and further tries are refused until the window has passed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from erp_models.errors import InvalidInput, TooManyAttempts, Unauthenticated
from erp_models.portal.models import PortalInvite, PortalLoginFailure, PortalSession
from erp_models.security.audit import audit
from erp_models.security.services import authenticate, grant_role, permissions_of, roles_of

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=10)
INVITE_TTL = timedelta(hours=24)
SESSION_TTL = timedelta(hours=8)


@dataclass(frozen=True)
class PortalUser:
    """Who a portal session stands for."""

    session_id: int
    username: str
    role: str
    csrf_token: str
    permissions: frozenset[str]
    expires_at: datetime


@dataclass(frozen=True)
class Invite:
    token: str  # shown once, in the link
    username: str
    role: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    session_token: str  # for the cookie; never stored
    user: PortalUser


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def invite(session: Session, *, username: str, role: str | None, actor: str,
           expires_in: timedelta = INVITE_TTL) -> Invite:
    """A one-time sign-in link's token for `username`. With `role`, the user is created or granted the role first;
    without it, the user must exist and hold exactly one role."""
    if role is not None:
        grant_role(session, username=username, role=role)
    else:
        roles = roles_of(session, username)
        if roles is None:
            raise InvalidInput(f"no active user {username!r}; name a role to create one (--role)", username=username)
        if len(roles) != 1:
            held = ", ".join(roles) or "none"
            raise InvalidInput(f"user {username!r} holds roles: {held}; name the one to sign in as (--role)",
                               username=username)
        role = roles[0]
    if expires_in <= timedelta(0) or expires_in > timedelta(days=30):
        raise InvalidInput("a sign-in link lives between 1 minute and 30 days")
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + expires_in
    row = PortalInvite(token_hash=_digest(token), username=username, role=role, created_by=actor,
                       expires_at=expires_at)
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="portal.invite", entity="portal_invites", ids=[row.id], username=username,
          role=role)
    return Invite(token=token, username=username, role=role, expires_at=expires_at)


def check_rate(session: Session, client: str) -> None:
    """Refuse (TooManyAttempts) a client that failed to sign in too often lately."""
    since = datetime.now(UTC) - FAILURE_WINDOW
    f = PortalLoginFailure
    count, oldest = session.execute(select(func.count(), func.min(f.at))
                                    .where(f.client == client[:64], f.at > since)).one()
    if count >= MAX_FAILURES:
        retry = max(1, int((oldest + FAILURE_WINDOW - datetime.now(UTC)).total_seconds()) + 1)
        raise TooManyAttempts(f"too many failed sign-ins from this address; try again in {retry} s",
                              retry_after_s=retry)


def record_failure(session: Session, client: str) -> None:
    """Count a refused sign-in (in its own transaction: the refusal itself rolls back), forgetting old ones."""
    session.execute(delete(PortalLoginFailure).where(PortalLoginFailure.at < datetime.now(UTC) - FAILURE_WINDOW))
    session.add(PortalLoginFailure(client=client[:64]))


def with_token(session: Session, api_token: str) -> SignedIn:
    """A new portal session for the holder of an API token."""
    principal = authenticate(session, api_token.strip())
    return _start(session, principal.username, principal.role, "token")


def with_invite(session: Session, token: str) -> SignedIn:
    """A new portal session from a one-time link, which is used up by it."""
    used = session.execute(
        update(PortalInvite).where(PortalInvite.token_hash == _digest(token), PortalInvite.used_at.is_(None),
                                   PortalInvite.expires_at > func.now())
        .values(used_at=func.now()).returning(PortalInvite.username, PortalInvite.role)).one_or_none()
    if used is None:
        raise Unauthenticated("this sign-in link is unknown, already used or expired; ask for a new one")
    username, role = used
    if role not in (roles_of(session, username) or []):
        raise Unauthenticated(f"user {username!r} no longer holds role {role!r}")
    return _start(session, username, role, "invite")


def invite_for(session: Session, token: str) -> Invite | None:
    """The unused, unexpired invite a link stands for (to name who it signs in), without using it."""
    row = session.scalars(select(PortalInvite).where(
        PortalInvite.token_hash == _digest(token), PortalInvite.used_at.is_(None),
        PortalInvite.expires_at > func.now())).one_or_none()
    return Invite(token="", username=row.username, role=row.role, expires_at=row.expires_at) if row else None


def _start(session: Session, username: str, role: str, how: str) -> SignedIn:
    token = secrets.token_urlsafe(32)
    row = PortalSession(session_hash=_digest(token), csrf_token=secrets.token_urlsafe(32), username=username,
                        role=role, signed_in_with=how, expires_at=datetime.now(UTC) + SESSION_TTL)
    session.add(row)
    session.flush()
    audit(session, actor=username, action="portal.sign_in", entity="portal_sessions", ids=[row.id], via=how)
    return SignedIn(token, _user(session, row))


def _user(session: Session, row: PortalSession) -> PortalUser:
    return PortalUser(session_id=row.id, username=row.username, role=row.role, csrf_token=row.csrf_token,
                      permissions=permissions_of(session, row.role), expires_at=row.expires_at)


def current(session: Session, session_token: str | None) -> PortalUser | None:
    """The user a session cookie stands for, while the session lasts and the user is active in that role."""
    if not session_token:
        return None
    row = session.scalars(select(PortalSession).where(
        PortalSession.session_hash == _digest(session_token), PortalSession.ended_at.is_(None),
        PortalSession.expires_at > func.now())).one_or_none()
    if row is None or row.role not in (roles_of(session, row.username) or []):
        return None
    return _user(session, row)


def sign_out(session: Session, session_token: str) -> None:
    session.execute(update(PortalSession).where(PortalSession.session_hash == _digest(session_token),
                                                PortalSession.ended_at.is_(None)).values(ended_at=func.now()))
