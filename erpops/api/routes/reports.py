"""Run reports over HTTP: `/reports/<area>/<path>` with an API token that holds `reports.read`, or
`/reports/s/<signed>/<area>/<path>` with a signed link from an artifact or `erpops reports link` (see
infra.report_links). Files are served from the report areas under the state directory only."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response

from erp_models.security.services import Principal
from erpops.api.deps import Db, require
from infra.report_links import LinkRefused, check, resolve

router = APIRouter(prefix="/reports", tags=["reports"])
Reader = Annotated[Principal, Depends(require("reports.read"))]
RelPath = Annotated[str, PathParam(description="A file under a report area, e.g. migrations/<run>/quarantine.csv",
                                   max_length=1000)]
# Reports are static files a run wrote. A page of one (a Data Docs site, a Locust report) may run its own inline
# scripts and load what lies beside it, and nothing from elsewhere: no third-party script, and no data sent out.
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "private, no-store",
           "Content-Security-Policy": "default-src 'self' 'unsafe-inline' data: blob:; form-action 'none'; "
           "frame-ancestors 'none'; base-uri 'none'"}
mimetypes.add_type("text/csv", ".csv")
mimetypes.add_type("text/markdown", ".md")


def _file(request: Request, rel: str) -> Response:
    path = resolve(rel, request.app.state.settings)
    if path is None:
        return JSONResponse({"error": "not_found", "detail": f"no report {rel!r}"}, status_code=404)
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media.startswith("text/") or media in ("application/json", "application/javascript"):
        media += "; charset=utf-8"
    return FileResponse(path, media_type=media, headers=HEADERS)


@router.get("/s/{token}/{rel:path}", summary="A report through a signed link",
            responses={403: {"description": "The link expired, is forged, or does not open that file "
                                             "(`link_refused`)"}})
def signed_report(token: Annotated[str, PathParam(max_length=500)], rel: RelPath, db: Db,
                  request: Request) -> Response:
    """Opens without a token while the link lives (`ERPOPS_REPORT_LINK_TTL_H`), for the files in its scope."""
    try:
        db.read(lambda s: check(s, token, rel, request.app.state.settings))
    except LinkRefused as exc:
        return JSONResponse({"error": "link_refused", "detail": str(exc)}, status_code=403)
    return _file(request, rel)


@router.get("/{rel:path}", summary="A report, with an API token")
def report(rel: RelPath, _: Reader, request: Request) -> Response:
    """A file a run wrote under a report folder of the state directory (`migrations/<run>/quarantine.csv`)."""
    return _file(request, rel)
