"""The embedded PostgreSQL's system user, when several processes (parallel test workers) start servers at once."""

from __future__ import annotations

import subprocess

import pytest

from infra.embedded_pg import _ensure_system_user


class RacingUseradd:
    """`ensure_user_exists` whose useradd fails the way it does when another process is creating the same user."""

    def __init__(self) -> None:
        self.calls = 0

    def ensure_user_exists(self, username: str) -> None:
        self.calls += 1
        raise subprocess.CalledProcessError(9, ["useradd", username], stderr=f"user '{username}' already exists")


def test_a_user_another_process_just_created_is_used() -> None:
    utils = RacingUseradd()
    _ensure_system_user(utils, "root")  # exists by the time useradd fails
    assert utils.calls == 1


def test_a_user_that_never_appears_is_the_error_of_useradd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda _: None)
    utils = RacingUseradd()
    with pytest.raises(subprocess.CalledProcessError):
        _ensure_system_user(utils, "erpops-no-such-user")
    assert utils.calls == 5
