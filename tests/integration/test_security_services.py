"""API tokens from issue to revocation, and the built-in roles the database holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.enums import RoleName
from erp_models.errors import InvalidInput, NotFound, Unauthenticated
from erp_models.security.permissions import ROLE_PERMISSIONS
from erp_models.security.services import (
    authenticate,
    digest,
    issue_token,
    revoke_token,
    sync_roles_and_permissions,
)
from tests.integration.builders import ref


def grants_in_database(session: Session) -> dict[str, frozenset[str]]:
    rows = session.execute(text("""SELECT r.name, p.code FROM roles r JOIN role_permissions rp ON rp.role_id = r.id
                                   JOIN permissions p ON p.id = rp.permission_id"""))
    grants: dict[str, set[str]] = {}
    for role, code in rows:
        grants.setdefault(str(role), set()).add(str(code))
    return {role: frozenset(codes) for role, codes in grants.items()}


def built_in_grants() -> dict[str, frozenset[str]]:
    return {role.value: granted for role, granted in ROLE_PERMISSIONS.items()}


def row_counts(session: Session) -> tuple[int, ...]:
    return tuple(
        int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        for table in ("roles", "permissions", "role_permissions")
    )


@pytest.mark.parametrize("role", list(RoleName))
def test_an_issued_token_authenticates_as_its_user_with_the_roles_permissions(
    session: Session, role: RoleName
) -> None:
    username = ref("user")
    issued = issue_token(session, username=username, role=role, actor="admin")
    principal = authenticate(session, issued.token)
    assert (principal.username, principal.role) == (username, role.value)
    assert principal.permissions == ROLE_PERMISSIONS[role]


def test_only_the_digest_of_a_token_is_stored(session: Session) -> None:
    issued = issue_token(session, username=ref("user"), role="sales", actor="admin")
    secret = issued.token.split("_", 2)[2]
    stored = session.execute(text("SELECT token_hash FROM api_tokens WHERE token_prefix = :p"),
                             {"p": issued.token_id}).scalar_one()
    assert stored == digest(issued.token)
    rows_holding_secret = session.execute(
        text("SELECT count(*) FROM api_tokens t WHERE strpos(t::text, :secret) > 0"), {"secret": secret}
    ).scalar_one()
    assert rows_holding_secret == 0


@pytest.mark.parametrize("position", [-1, 5], ids=["in-the-secret", "in-the-token-id"])
def test_a_token_with_one_character_changed_is_rejected(session: Session, position: int) -> None:
    token = issue_token(session, username=ref("user"), role="sales", actor="admin").token
    changed = "A" if token[position] != "A" else "B"
    forged = token[:position] + changed + (token[position + 1:] if position != -1 else "")
    assert len(forged) == len(token) and forged != token
    with pytest.raises(Unauthenticated):
        authenticate(session, forged)


def test_a_revoked_token_is_rejected(session: Session) -> None:
    issued = issue_token(session, username=ref("user"), role="sales", actor="admin")
    revoke_token(session, token_id=issued.token_id, actor="admin")
    with pytest.raises(Unauthenticated):
        authenticate(session, issued.token)
    with pytest.raises(NotFound):
        revoke_token(session, token_id=issued.token_id, actor="admin")


def test_an_expired_token_is_rejected(session: Session) -> None:
    issued = issue_token(session, username=ref("user"), role="sales", actor="admin",
                         expires_in=timedelta(seconds=-1))
    with pytest.raises(Unauthenticated):
        authenticate(session, issued.token)


def test_a_token_still_within_its_lifetime_is_accepted(session: Session) -> None:
    issued = issue_token(session, username=ref("user"), role="sales", actor="admin", expires_in=timedelta(hours=1))
    assert authenticate(session, issued.token).role == "sales"


def test_a_token_issued_with_a_zero_lifetime_is_already_expired(session: Session) -> None:
    issued = issue_token(session, username=ref("user"), role="sales", actor="admin", expires_in=timedelta(0))
    with pytest.raises(Unauthenticated):
        authenticate(session, issued.token)


def test_a_deactivated_users_token_is_rejected(session: Session) -> None:
    username = ref("user")
    issued = issue_token(session, username=username, role="sales", actor="admin")
    session.execute(text("UPDATE users SET active = false WHERE username = :u"), {"u": username})
    with pytest.raises(Unauthenticated):
        authenticate(session, issued.token)


def test_an_unknown_role_is_refused_with_the_list_of_known_roles(session: Session) -> None:
    with pytest.raises(InvalidInput, match="unknown role 'superuser'") as caught:
        issue_token(session, username=ref("user"), role="superuser", actor="admin")
    assert all(role.value in caught.value.message for role in RoleName)


@pytest.mark.parametrize("username", ["", "   ", "x" * 65])
def test_a_username_must_be_1_to_64_characters(session: Session, username: str) -> None:
    with pytest.raises(InvalidInput):
        issue_token(session, username=username, role="sales", actor="admin")


def test_issuing_and_revoking_a_token_is_audited_with_the_actor(session: Session) -> None:
    actor, username = ref("admin"), ref("user")
    issued = issue_token(session, username=username, role="warehouse", actor=actor)
    revoke_token(session, token_id=issued.token_id, actor=actor)
    rows = session.execute(text("SELECT action, detail FROM audit_log WHERE actor = :a ORDER BY id"), {"a": actor})
    assert [tuple(row) for row in rows] == [
        ("security.issue_token", {"username": username, "role": "warehouse"}),
        ("security.revoke_token", None),
    ]


def test_the_migrated_database_holds_every_built_in_role_with_its_grants(session: Session) -> None:
    in_database = grants_in_database(session)
    assert {role: in_database.get(role) for role in built_in_grants()} == built_in_grants()


def test_syncing_roles_twice_changes_nothing(session: Session) -> None:
    before = row_counts(session)
    sync_roles_and_permissions(session)
    sync_roles_and_permissions(session)
    assert row_counts(session) == before


def test_syncing_roles_restores_the_grants_the_code_defines(session: Session) -> None:
    session.execute(text("""DELETE FROM role_permissions WHERE role_id = (SELECT id FROM roles WHERE name = 'sales')
                            AND permission_id = (SELECT id FROM permissions WHERE code = 'sales.cancel')"""))
    session.execute(text("""INSERT INTO role_permissions SELECT r.id, p.id FROM roles r, permissions p
                            WHERE r.name = 'viewer' AND p.code = 'audit.read'"""))
    sync_roles_and_permissions(session)
    in_database = grants_in_database(session)
    assert (in_database["sales"], in_database["viewer"]) == (
        ROLE_PERMISSIONS[RoleName.SALES], ROLE_PERMISSIONS[RoleName.VIEWER])
