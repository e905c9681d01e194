"""The restore drill's verdict: did the newest backup restore, match its fingerprint and pass `db check`, and is it
recent enough? Pure: the flow gathers the figures, this judges them and names the evidence they become."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

CHECK = "ops.restore_drill"


class DrillFigures(BaseModel):
    """What one drill measured; None where the drill never got that far."""

    database: str
    backup_id: str | None = None
    backup_created_at: datetime | None = None
    newest_backup_id: str | None = None
    rpo_s: float | None = Field(default=None, description="age of the newest backup of the database")
    rto_s: float | None = Field(default=None, description="seconds pg_restore took into the scratch database")
    expected_fingerprint: str | None = None
    fingerprint: str | None = None
    violations: list[str] = Field(default_factory=list)
    restore_error: str | None = None
    max_rpo_s: float | None = None


class DrillVerdict(BaseModel):
    ok: bool
    reasons: list[str]
    evidence: dict[str, float]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def judge_drill(figures: DrillFigures) -> DrillVerdict:
    """Every way a drill fails, in the order an operator fixes them, and the evidence it leaves."""
    reasons: list[str] = []
    if figures.backup_id is None:
        reasons.append(f"no backup of {figures.database} to restore: take one with `erpops backup create`")
    elif figures.restore_error is not None:
        reasons.append(f"backup {figures.backup_id} did not restore: {figures.restore_error}")
    else:
        if figures.expected_fingerprint is None:
            reasons.append(f"backup {figures.backup_id} records no fingerprint (its schema was not at head), so "
                           "the restore cannot be compared")
        elif figures.fingerprint != figures.expected_fingerprint:
            reasons.append(f"backup {figures.backup_id} restored with fingerprint {figures.fingerprint or 'none'}, "
                           f"not the {figures.expected_fingerprint} recorded at backup time")
        if figures.violations:
            reasons.append("the restored database violates invariants: " + ", ".join(figures.violations))
    if figures.rpo_s is not None and figures.max_rpo_s is not None and figures.rpo_s > figures.max_rpo_s:
        reasons.append(f"the newest backup is {figures.rpo_s:.0f} s old, over the RPO limit of "
                       f"{figures.max_rpo_s:.0f} s")
    evidence = {"ops.restore_drill.ok": 0.0 if reasons else 1.0}
    if figures.rto_s is not None:
        evidence["ops.restore_drill.rto_s"] = round(figures.rto_s, 3)
    if figures.rpo_s is not None:
        evidence["ops.restore_drill.rpo_s"] = round(figures.rpo_s, 3)
    return DrillVerdict(ok=not reasons, reasons=reasons, evidence=evidence)
