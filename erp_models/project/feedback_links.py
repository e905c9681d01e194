"""What a feedback item links to, checked: a milestone of the loaded plan, an ERP role, and the change that resolved
it (a release tag, a git commit or a flow run)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_models.enums import RoleName
from erp_models.errors import Conflict, InvalidInput, NotFound
from erp_models.project.plan import Milestone

# A release tag (v1.2.3, v2.0.0-rc.1), an abbreviated or full git sha, or a flow run's id (a UUID).
CHANGE_FORMS = {
    "release tag": re.compile(r"v\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?"),
    "git sha": re.compile(r"[0-9a-f]{7,40}"),
    "flow run id": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
}
# The same forms as one pattern for an API schema (hex digits in either case, blanks around allowed).
CHANGE_PATTERN = (r"^\s*(?:" + "|".join(p.pattern.replace("0-9a-f", "0-9a-fA-F") for p in CHANGE_FORMS.values())
                  + r")\s*$")


def checked_change(change: str | None) -> str:
    """The change that resolved an item, stripped; a one-line InvalidInput when it is missing or of no known form."""
    ref = (change or "").strip()
    if not ref:
        raise Conflict("resolving feedback needs the change that resolved it: a release tag (v1.2.3), a git sha "
                       "or a flow run id")
    if CHANGE_FORMS["release tag"].fullmatch(ref) and len(ref) <= 64:
        return ref
    if CHANGE_FORMS["git sha"].fullmatch(ref.lower()) or CHANGE_FORMS["flow run id"].fullmatch(ref.lower()):
        return ref.lower()
    raise InvalidInput(f"change {ref[:80]!r} is neither a release tag (v1.2.3), a git sha (7-40 hex digits) nor a "
                       "flow run id (a UUID)", change=ref[:80])


def checked_role(role: str | None) -> str | None:
    """The submitter's ERP role (one of RoleName), or None when not given."""
    if role is None or not role.strip():
        return None
    try:
        return RoleName(role.strip()).value
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}; one of: {', '.join(r.value for r in RoleName)}",
                           role=role) from None


def checked_milestone(session: Session, *, project_id: int | None, code: str | None) -> str | None:
    """A milestone code of the loaded plan (the item's project), or None when not given."""
    if code is None or not code.strip():
        return None
    if project_id is None:
        raise NotFound(f"milestone {code!r} cannot be checked: no plan is loaded (erpops plan load PLAN.yaml)",
                       milestone=code)
    known = list(session.scalars(select(Milestone.code).where(Milestone.project_id == project_id)
                                 .order_by(Milestone.code)))
    if code.strip() not in known:
        raise NotFound(f"unknown milestone {code!r}; the loaded plan has: {', '.join(known) or 'none'}",
                       milestone=code)
    return code.strip()
