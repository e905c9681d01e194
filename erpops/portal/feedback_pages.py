"""The portal's feedback pages: the form with its screenshot upload, "my feedback", and a screenshot shown to its
reporter and to triagers only (with its stored type, `nosniff` and a sandboxing CSP, never from a served folder)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.orm import Session

from erp_models.enums import FeedbackSeverity, RoleName
from erp_models.errors import DomainError
from erp_models.portal import attachments
from erp_models.portal.sign_in import PortalUser
from erp_models.project import delivery
from erpops.portal.web import HEADERS, MAX_UPLOAD, User, _checked, _db, _redirect, _settings, page, router


def _feedback_form(request: Request, user: PortalUser, *, status: int = 200, error: str | None = None,
                   form: dict[str, str] | None = None) -> Response:
    return page(request, "feedback_new.html", user=user, status=status, error=error, form=form or {},
                modules=delivery.FEEDBACK_MODULES, severities=[s.value for s in FeedbackSeverity])


@router.get("/feedback/new", response_class=HTMLResponse)
def feedback_new(request: Request, user: User) -> Response:
    return _feedback_form(request, user)


@router.post("/feedback")
async def feedback_submit(request: Request, user: User, csrf: Annotated[str, Form(max_length=100)],
                          module: Annotated[str, Form(max_length=32)], severity: Annotated[str, Form(max_length=16)],
                          title: Annotated[str, Form(min_length=1, max_length=200)],
                          description: Annotated[str, Form(min_length=1, max_length=10_000)],
                          screenshot: Annotated[UploadFile | None, File()] = None) -> Response:
    _checked(request, user, csrf)
    form = {"module": module, "severity": severity, "title": title, "description": description}
    data = b""
    if screenshot is not None and screenshot.filename:
        data = await screenshot.read(MAX_UPLOAD + 1)
    if severity not in {s.value for s in FeedbackSeverity}:
        return _feedback_form(request, user, status=422, error=f"unknown severity {severity!r}", form=form)
    upload_dir = _settings(request).uploads
    name = screenshot.filename if screenshot is not None else None

    def work(s: Session) -> int:
        item = delivery.submit_feedback(s, project_id=delivery.latest_project_id(s), module=module,
                                        severity=FeedbackSeverity(severity), title=title.strip(),
                                        body=description.strip(), submitted_by=user.username,
                                        role=user.role if user.role in {r.value for r in RoleName} else None)
        if data:
            attachments.attach(s, feedback_id=item.id, data=data, original_name=name or "", uploaded_by=user.username,
                               upload_dir=upload_dir)
        return item.id

    try:
        feedback_id = _db(request).write(work)
    except DomainError as exc:
        return _feedback_form(request, user, status=503 if exc.code == "frozen" else 422, error=exc.message,
                              form=form)
    return _redirect(f"/portal?submitted={feedback_id}")


@router.get("/feedback", response_class=HTMLResponse)
def feedback_mine(request: Request, user: User) -> Response:
    def work(s: Session) -> tuple[list[dict[str, Any]], dict[int, list[attachments.AttachmentInfo]]]:
        rows = delivery.list_feedback(s, submitted_by=user.username, limit=200)
        items = [{"id": r.id, "title": r.title, "module": r.module, "severity": r.severity, "status": r.status,
                  "owner": r.owner, "created_at": r.created_at} for r in rows]
        return items, attachments.attachments_of(s, [r.id for r in rows])

    items, files = _db(request).read(work)
    return page(request, "feedback_list.html", user=user, items=items, attachments=files)


@router.get("/screenshots/{attachment_id}")
def screenshot(request: Request, attachment_id: int, user: User) -> Response:
    try:
        image = _db(request).read(lambda s: attachments.open_attachment(
            s, attachment_id=attachment_id, username=user.username,
            may_triage="project.feedback.triage" in user.permissions, upload_dir=_settings(request).uploads))
    except DomainError as exc:
        return page(request, "error.html", user=user, status=404 if exc.code == "not_found" else 403,
                    error=exc.message)
    return FileResponse(image.path, media_type=image.content_type, filename=image.original_name,
                        content_disposition_type="inline",
                        headers={**HEADERS, "Content-Security-Policy": "default-src 'none'; sandbox"})
