"""What a migration run is and what it reports: the plan a run starts from, and each entity's result."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from erp_models.enums import MigrationMode, MigrationPhase
from erp_models.migration.clock import PhaseClock
from erp_models.migration.mapping import Mapping
from erp_models.migration.quarantined import SetAside
from erp_models.migration.service import pipeline


class RunPlan(BaseModel):
    """A run as `plan_run` set it up. It carries the mapping as parsed and checked then: the run's steps never
    read the file again, so an edit made while the run goes on does not reach it."""

    run_id: uuid.UUID
    mapping_path: str
    mapping_name: str
    mapping: Mapping
    mode: MigrationMode
    order: list[str]
    targets: dict[str, str]
    delta_marks: dict[str, str] = Field(default_factory=dict)
    resumed: bool = False
    replaced_flow_run: uuid.UUID | None = None  # a resume's killed flow run, to be marked crashed
    out_dir: str = ".erpops/migrations"
    mapping_marks: dict[str, str] = Field(default_factory=dict)  # the mapping's fingerprints, kept with the run
    forced_change: str | None = None  # what changed in the mapping of a run resumed with --force

    @property
    def docs_dir(self) -> Path:
        return Path(self.out_dir) / "gx-docs"

    @property
    def base_dir(self) -> Path:
        """Where the mapping's relative source paths start."""
        return Path(self.mapping_path).parent

    def pipeline(self, gate: pipeline.Gate) -> pipeline.Plan:
        return pipeline.Plan(self.run_id, self.mapping, self.base_dir, self.order, gate, self.delta_marks)


class EntityResult(BaseModel):
    entity: str
    target: str
    read: int = 0
    skipped: int = 0
    loaded: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    rejected: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)
    watermark: str | None = None
    gate: dict[str, Any] | None = None
    blocked_by: list[str] = Field(default_factory=list)
    reconciliation: dict[str, Any] | None = None
    seconds: dict[str, float] = Field(default_factory=dict)  # per phase (MigrationPhase), to the millisecond

    @property
    def quarantine_rate(self) -> float:
        return self.quarantined / self.read if self.read else 0.0


def staged_result(plan: RunPlan, name: str, stage: pipeline.StageReport, aside: SetAside) -> EntityResult:
    result = EntityResult(entity=name, target=plan.targets[name], read=stage.read, skipped=stage.skipped,
                          quarantined=aside.quarantined, rejected=aside.rejected, reasons=aside.reasons,
                          watermark=stage.watermark, gate=stage.gate, blocked_by=list(stage.blocking),
                          seconds=stage.clock.summary())
    result.blocked_by = blocked_reasons(result, plan.mapping)
    return result


def loaded_result(staged: EntityResult, outcome: pipeline.LoadReport, aside: SetAside,
                  mapping: Mapping) -> EntityResult:
    recon = outcome.reconciliation
    clock = PhaseClock({MigrationPhase(k): v for k, v in staged.seconds.items()})
    clock.add(outcome.clock.seconds)
    source, accounted = staged.read - staged.skipped, outcome.loaded + aside.quarantined + aside.rejected
    count_difference = [] if source == accounted else [
        f"{source} source rows but loaded {outcome.loaded} + quarantined {aside.quarantined} + rejected "
        f"{aside.rejected}"]
    result = staged.model_copy(update={
        "loaded": outcome.loaded, "inserted": outcome.inserted, "updated": outcome.updated,
        "unchanged": outcome.unchanged, "quarantined": aside.quarantined, "rejected": aside.rejected,
        "reasons": aside.reasons, "seconds": clock.summary(),
        "reconciliation": {"ok": recon.ok and not count_difference, "staged": recon.staged, "in_erp": recon.in_erp,
                           "sums": {k: {"source": a, "erp": b} for k, (a, b) in recon.sums.items()},
                           "differences": recon.differences() + count_difference},
    })
    result.blocked_by = blocked_reasons(result, mapping)
    return result


def blocked_reasons(result: EntityResult, mapping: Mapping) -> list[str]:
    """What blocks the entity: its gate's table-level failures, and a quarantine rate over the mapping's limit."""
    limit = mapping.entities[result.entity].gate.max_quarantine_rate
    reasons = list(result.blocked_by)
    if result.quarantine_rate > limit:
        reasons.append(f"quarantine rate {result.quarantine_rate:.4f} > {limit}")
    return reasons
