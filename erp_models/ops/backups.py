"""Backups as data: the manifest of one dump, which backups retention drops, and whether the code can restore one.

Each backup is a pg_dump custom-format file `<id>.dump` with a manifest `<id>.json` beside it, not a row in the
ERP database: a `backups` table would itself be rolled back by restoring an older dump (and lost with the
database), while a manifest travels with its dump, so copying the two files elsewhere keeps a backup whole.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Collection, Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from erp_models.errors import Conflict, InvalidInput

LABEL_CHARS = frozenset(string.ascii_letters + string.digits + "-_.")


class BackupManifest(BaseModel):
    """What one backup holds and how it was made."""

    id: str
    label: str | None = None
    created_at: datetime
    source: str = Field(description="host/port/database the dump was taken from, without credentials")
    database: str
    server_version: int = Field(description="server_version_num of the source server")
    pg_dump_version: str
    revision: str | None = Field(description="Alembic revision of the dumped schema")
    fingerprint: str | None = Field(description="`db fingerprint` of the same snapshot the dump holds")
    size_bytes: int
    duration_s: float

    @property
    def dump_name(self) -> str:
        return f"{self.id}.dump"


def new_backup_id(now: datetime, label: str | None) -> str:
    """A sortable, unique id such as `20261201T194500Z-a1b2-before-golive`."""
    if label is not None and (not label or not set(label) <= LABEL_CHARS or len(label) > 40):
        raise InvalidInput(f"backup label {label!r} must be 1 to 40 letters, digits, '-', '_' or '.'")
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(2)}" + (f"-{label}" if label else "")


def expired_backups(manifests: Sequence[BackupManifest], *, keep: int, source: str) -> list[BackupManifest]:
    """The backups of `source` beyond the `keep` newest; other databases' backups are never touched."""
    mine = sorted((m for m in manifests if m.source == source), key=lambda m: (m.created_at, m.id), reverse=True)
    return mine[keep:]


def ensure_restorable(manifest: BackupManifest, known_revisions: Collection[str]) -> None:
    """Refuse a backup whose schema revision this code does not know, i.e. one made by newer code."""
    if manifest.revision is not None and manifest.revision not in known_revisions:
        raise Conflict(
            f"backup {manifest.id} is at schema revision {manifest.revision}, newer than this erpops knows; "
            "restore it with the erpops version that made it"
        )


def find_backup(manifests: Sequence[BackupManifest], backup_id: str) -> BackupManifest:
    """The backup with id `backup_id`, else the newest labelled so, else the one whose id starts so."""
    from erp_models.errors import NotFound

    exact = [m for m in manifests if m.id == backup_id]
    labelled = sorted((m for m in manifests if m.label == backup_id), key=lambda m: (m.created_at, m.id))[-1:]
    matches = exact or labelled or [m for m in manifests if m.id.startswith(backup_id)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(f"no backup {backup_id!r}; `erpops backup list` shows them")
    raise InvalidInput(f"backup id {backup_id!r} is ambiguous: {', '.join(m.id for m in matches[:3])} ...")
