"""A load-test run's evidence keys, and the baseline a `baseline * factor` threshold compares with: the values of
the last passing run of the same profile, read back from the evidence store."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

TOTAL = "total"
RUN_KEYS = ("invariants_ok", "passed", "knee_rps", "knee_users")  # a run's verdict, not a metric to compare with
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def scope_of(profile: str) -> str:
    return f"loadtest/{profile}"


def evidence_key(profile: str, endpoint: str, metric: str) -> str:
    """`loadtest.<profile>.<endpoint>.<metric>`; the whole run's fail_ratio, rps and requests drop the endpoint."""
    if endpoint == TOTAL and metric in ("fail_ratio", "rps", "requests"):
        return f"loadtest.{profile}.{metric}"
    return f"loadtest.{profile}.{endpoint}.{metric}"


def is_recordable(name: str) -> bool:
    """Endpoint and profile names that can stand in an evidence key."""
    return _NAME.match(name) is not None


def last_passing_baseline(session: Session, *, profile: str) -> tuple[str | None, dict[str, float]]:
    """(run id, `{"<endpoint>.<metric>": value}`) of the newest run of `profile` whose
    `loadtest.<profile>.passed` is 1 and that was not withdrawn; (None, {}) before the first one."""
    run_id = session.execute(text(
        """SELECT run_id FROM evidence WHERE scope = :scope AND key = :key AND value = 1 AND run_id IS NOT NULL
           AND withdrawn_at IS NULL ORDER BY recorded_at DESC, id DESC LIMIT 1"""),
        {"scope": scope_of(profile), "key": f"loadtest.{profile}.passed"}).scalar_one_or_none()
    if run_id is None:
        return None, {}
    rows = session.execute(text("SELECT key, value FROM evidence WHERE scope = :scope AND run_id = :run"),
                           {"scope": scope_of(profile), "run": run_id}).all()
    prefix, baseline = f"loadtest.{profile}.", {}
    for key, value in rows:
        parts = str(key).removeprefix(prefix).split(".")
        if len(parts) == 1 and parts[0] in RUN_KEYS:
            continue
        name = ".".join(parts) if len(parts) == 2 else f"{TOTAL}.{parts[0]}"
        baseline[name] = float(value)
    return str(run_id), baseline
