"""Links to the reports that runs write under the state directory (quarantine CSVs, GX Data Docs, charts,
operation manuals, Locust reports), served by the ERP API at `/reports/...`.

A link is either plain (`/reports/<area>/<path>`, which asks for an API token with `reports.read`) or signed
(`/reports/s/<token>/<area>/<path>`): the token names a scope, a file or a folder, and opens anything under it
without a token for `report_link_ttl_h` hours from when it was made. A folder's scope lets the pages of a
report (the Data Docs' pages, styles and scripts) link to each other with relative links. The key is shared by
every erpops process through the database (erp_models.portal.keys), so a link a flow makes opens on any API
worker. Only the areas below are served: never backups, the database's files or uploads.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from erp_models.portal.keys import signing_secret
from infra.settings import Settings, get_settings

AREAS = ("migrations", "reports", "loadtests", "analysis", "manual", "monitor", "cutovers", "test-runs", "smoke")
PURPOSE = "report-links"
SALT = "erpops-report-link"


class LinkRefused(Exception):
    """A signed link that is expired, forged, or used outside its scope."""


def served_path(path: Path, settings: Settings | None = None) -> str | None:
    """`path` as `<area>/<rest>` under the state directory, or None when the API does not serve it."""
    root = (settings or get_settings()).state_dir.resolve()
    try:
        rel = PurePosixPath(path.resolve().relative_to(root).as_posix())
    except ValueError:
        return None
    return str(rel) if len(rel.parts) >= 2 and rel.parts[0] in AREAS else None


def resolve(rel: str, settings: Settings | None = None) -> Path | None:
    """The file a served path names, or None when it is outside the served areas (`..`, links) or missing."""
    parts = PurePosixPath(rel).parts
    if len(parts) < 2 or parts[0] not in AREAS or any(p in ("..", ".") or p.startswith("/") for p in parts):
        return None
    root = (settings or get_settings()).state_dir.resolve()
    try:
        target = (root / Path(*parts)).resolve()
        if root / parts[0] not in target.parents or not target.is_file():
            return None
    except (OSError, ValueError):  # a NUL byte, a name too long: no such report
        return None
    return target


def _serializer(session: Session) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_secret(session, PURPOSE), salt=SALT)


def sign(session: Session, scope: str) -> str:
    return str(_serializer(session).dumps(scope))


def check(session: Session, token: str, rel: str, settings: Settings | None = None) -> None:
    """Pass when `token` is a live signature of a scope that holds `rel`; LinkRefused otherwise."""
    max_age = int((settings or get_settings()).report_link_ttl_h * 3600)
    try:
        scope = str(_serializer(session).loads(token, max_age=max_age))
    except SignatureExpired:
        raise LinkRefused("this report link has expired; make a new one with `erpops reports link PATH`") from None
    except BadSignature:
        raise LinkRefused("this report link is not valid") from None
    if rel != scope and not rel.startswith(scope.rstrip("/") + "/"):
        raise LinkRefused("this report link does not open that file")


def signed_url(session: Session, path: Path, *, folder: bool = False, settings: Settings | None = None) -> str:
    """An http(s) link that opens `path` (and, with `folder`, everything in its folder) without a token; a
    file:// link when the path is outside the served areas."""
    settings = settings or get_settings()
    rel = served_path(path, settings)
    if rel is None:
        return path.resolve().as_uri()
    scope = str(PurePosixPath(rel).parent) if folder else rel
    return f"{settings.base_url}/reports/s/{sign(session, scope)}/{rel}"
