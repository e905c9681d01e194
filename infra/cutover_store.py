"""The cutover journals: `<state dir>/cutovers/<run id>/journal.json`, with the run's logs beside it.

A journal is written after every step (atomically), so a killed cutover resumes from it and `erpops cutover
status` shows what the flow last knew. Files, not ERP tables: a rollback restores the ERP database, and the
record of that rollback must survive it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from erp_models.cutover.journal import CutoverJournal, CutoverMode, CutoverStatus
from infra.errors import ErpopsError
from infra.settings import Settings


class CutoverStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> CutoverStore:
        return cls(settings.state_dir / "cutovers")

    def run_dir(self, run_id: str) -> Path:
        path = self.root / run_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def save(self, journal: CutoverJournal) -> None:
        folder = self.run_dir(journal.run_id)
        tmp = folder / ".journal.json.tmp"
        tmp.write_text(journal.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(folder / "journal.json")

    def journals(self) -> list[CutoverJournal]:
        """Every readable journal, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob("*/journal.json"):
            try:
                found.append(CutoverJournal.model_validate_json(path.read_text(encoding="utf-8")))
            except (ValidationError, OSError):
                continue
        return sorted(found, key=lambda j: (j.started_at, j.run_id))

    def get(self, run_id: str) -> CutoverJournal:
        matches = [j for j in self.journals() if j.run_id == run_id or j.run_id.startswith(run_id)]
        if len(matches) != 1:
            what = "no cutover run" if not matches else f"{len(matches)} cutover runs"
            raise ErpopsError(f"{what} with id {run_id!r} under {self.root} (see `erpops cutover status`)")
        return matches[0]

    def latest(self) -> CutoverJournal | None:
        found = self.journals()
        return found[-1] if found else None

    def unfinished(self, runbook_file: str, mode: CutoverMode) -> CutoverJournal | None:
        """The newest cutover of this runbook and mode that never finished (killed), for --resume."""
        found = [j for j in self.journals() if j.runbook == runbook_file and j.mode is mode]
        return found[-1] if found and found[-1].status is CutoverStatus.RUNNING else None

    def previous(self, journal: CutoverJournal) -> list[CutoverJournal]:
        """The earlier finished runs of the same runbook (by name) and mode, oldest first: the drift baseline."""
        return [j for j in self.journals() if j.name == journal.name and j.mode is journal.mode
                and j.run_id != journal.run_id and j.status is not CutoverStatus.RUNNING
                and j.started_at < journal.started_at]
