"""The backup directory: `<id>.dump` and its manifest `<id>.json` side by side (see erp_models.ops.backups)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from erp_models.ops.backups import BackupManifest, find_backup
from infra.settings import Settings


class BackupStore:
    """Reads and writes the backups under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> BackupStore:
        return cls(settings.backup_dir or settings.state_dir / "backups")

    def dump_path(self, backup_id: str) -> Path:
        return self.root / f"{backup_id}.dump"

    def manifests(self) -> list[BackupManifest]:
        """Every complete backup, oldest first; a dump whose manifest is missing or unreadable is not one."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob("*.json"):
            try:
                manifest = BackupManifest.model_validate_json(path.read_text(encoding="utf-8"))
            except (ValidationError, OSError):
                continue
            if self.dump_path(manifest.id).is_file():
                found.append(manifest)
        return sorted(found, key=lambda m: (m.created_at, m.id))

    def get(self, backup_id: str) -> BackupManifest:
        return find_backup(self.manifests(), backup_id)

    def save(self, manifest: BackupManifest) -> None:
        """Write the manifest last, atomically: a backup exists once its manifest does."""
        tmp = self.root / f".{manifest.id}.json.tmp"
        tmp.write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(self.root / f"{manifest.id}.json")

    def remove(self, manifest: BackupManifest) -> None:
        (self.root / f"{manifest.id}.json").unlink(missing_ok=True)
        self.dump_path(manifest.id).unlink(missing_ok=True)
