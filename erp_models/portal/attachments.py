"""Screenshots sent with trial-run feedback: at most 5 MiB, a PNG, JPEG, GIF or WebP image by its own bytes
(whatever name or type the browser claims), stored by a random name under a directory the web server does not
serve, and handed back only through the portal, with the type it was stored with.

SVG is refused: it is a document that can carry scripts, not a picture.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_models.errors import InvalidInput, NotFound, PermissionDenied
from erp_models.portal.models import FeedbackAttachment
from erp_models.project.tracking import Feedback

MAX_BYTES = 5 * 1024 * 1024
KINDS = "PNG, JPEG, GIF or WebP"


@dataclass(frozen=True)
class StoredImage:
    path: Path
    content_type: str
    original_name: str


def sniff(data: bytes) -> tuple[str, str]:
    """The image type (content type, extension) of `data` by its leading bytes; InvalidInput when not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    raise InvalidInput(f"the screenshot is not a {KINDS} image")


def attach(session: Session, *, feedback_id: int, data: bytes, original_name: str, uploaded_by: str,
           upload_dir: Path) -> FeedbackAttachment:
    """Check and store a screenshot of a feedback item; the file is removed again if the row cannot be added."""
    if not data:
        raise InvalidInput("the screenshot is empty")
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"the screenshot is {len(data) / 1048576:.1f} MiB; at most 5 MiB is accepted")
    content_type, ext = sniff(data)
    upload_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{uuid.uuid4().hex}.{ext}"
    path = upload_dir / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never executable, never overwritten
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        row = FeedbackAttachment(feedback_id=feedback_id, stored_name=name,
                                 original_name=Path(original_name or "screenshot").name[:200] or "screenshot",
                                 content_type=content_type, size_bytes=len(data),
                                 sha256=hashlib.sha256(data).hexdigest(), uploaded_by=uploaded_by)
        session.add(row)
        session.flush()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return row


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    original_name: str
    content_type: str
    size_bytes: int


def attachments_of(session: Session, feedback_ids: list[int]) -> dict[int, list[AttachmentInfo]]:
    """The screenshots of some feedback items, by item."""
    found: dict[int, list[AttachmentInfo]] = {}
    for row in session.scalars(select(FeedbackAttachment).where(FeedbackAttachment.feedback_id.in_(feedback_ids))
                               .order_by(FeedbackAttachment.id)):
        found.setdefault(row.feedback_id, []).append(
            AttachmentInfo(row.id, row.original_name, row.content_type, row.size_bytes))
    return found


def open_attachment(session: Session, *, attachment_id: int, username: str, may_triage: bool,
                    upload_dir: Path) -> StoredImage:
    """A stored screenshot for its reporter, or for someone who triages feedback."""
    row = session.get(FeedbackAttachment, attachment_id)
    if row is None:
        raise NotFound(f"no screenshot {attachment_id}")
    reporter = session.scalar(select(Feedback.submitted_by).where(Feedback.id == row.feedback_id))
    if reporter != username and not may_triage:
        raise PermissionDenied("only the reporter and those who triage feedback see its screenshots")
    path = upload_dir / row.stored_name
    if not path.is_file():
        raise NotFound(f"screenshot {attachment_id} is missing from the upload directory")
    return StoredImage(path=path, content_type=row.content_type, original_name=row.original_name)
