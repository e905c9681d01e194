"""The steps of a cutover runbook: one model per built-in kind, each with the options that kind takes."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from erp_models.loadtest.durations import parse_duration

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Person = Annotated[str, Field(min_length=1, max_length=64, pattern=r"\S")]
Seconds = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]


class StepKind(StrEnum):
    READINESS = "readiness"
    GO_NO_GO = "go_no_go"
    BACKUP = "backup"
    FREEZE = "freeze"
    FINAL_DELTA = "final_delta"
    RECONCILE = "reconcile"
    SMOKE = "smoke"
    SWITCH = "switch"
    POST_CHECKS = "post_checks"
    COMMAND = "command"


class PostCheck(StrEnum):
    DB_CHECK = "db_check"
    FINGERPRINT = "fingerprint"
    SMOKE_LOAD = "smoke_load"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BaseStep(Strict):
    name: Code
    title: Text
    owner: Person
    estimate: Seconds = Field(description="seconds, or a duration such as '30m', '90s', '1h30m'")
    predecessors: list[Code] = Field(default_factory=list, description="names of the steps that must finish first")


class ReadinessStep(BaseStep):
    kind: Literal[StepKind.READINESS]


class Approver(Strict):
    role: Person
    name: Person


class GoNoGoStep(BaseStep):
    kind: Literal[StepKind.GO_NO_GO]
    milestones: list[Code] = Field(min_length=1, description="plan milestones that must have passed their gates")
    approver: Approver


class BackupStep(BaseStep):
    kind: Literal[StepKind.BACKUP]
    label: Code = "pre-cutover"


class FreezeStep(BaseStep):
    kind: Literal[StepKind.FREEZE]
    reason: Text = "go-live cutover"
    retry_after: Seconds = 60.0


class FinalDeltaStep(BaseStep):
    kind: Literal[StepKind.FINAL_DELTA]
    mapping: Annotated[str, Field(min_length=1, description="the mapping file, relative to the runbook file")]

    def mapping_path(self, runbook_file: Path) -> Path:
        """The mapping file, an absolute path or one relative to the runbook's folder."""
        return runbook_file.parent / self.mapping


class ReconcileThresholds(Strict):
    max_difference: Annotated[int, Field(ge=0)] = 0
    max_quarantine_rate: Annotated[float, Field(ge=0, le=1)] | None = None


class ReconcileStep(BaseStep):
    kind: Literal[StepKind.RECONCILE]
    thresholds: ReconcileThresholds = ReconcileThresholds()


class SmokeStep(BaseStep):
    kind: Literal[StepKind.SMOKE]
    sku: Code = Field(default="SMOKE-CUTOVER", description="the smoke SKU, created and cleaned up by the step")


class SwitchStep(BaseStep):
    kind: Literal[StepKind.SWITCH]


class PostChecksStep(BaseStep):
    kind: Literal[StepKind.POST_CHECKS]
    checks: list[PostCheck] = Field(default_factory=lambda: [PostCheck.DB_CHECK, PostCheck.FINGERPRINT],
                                    min_length=1)


class CommandStep(BaseStep):
    kind: Literal[StepKind.COMMAND]
    command: Annotated[str, Field(min_length=1, pattern=r"\S")]
    timeout: Seconds = 300.0


def _known_kind(value: object) -> object:
    kinds = ", ".join(StepKind)
    if isinstance(value, dict):
        kind = value.get("kind")
        if kind is None:
            raise ValueError(f"a step needs a kind ({kinds})")
        if kind not in set(StepKind):
            raise ValueError(f"unknown kind {kind!r} (kinds: {kinds})")
    return value


Step = Annotated[
    ReadinessStep | GoNoGoStep | BackupStep | FreezeStep | FinalDeltaStep | ReconcileStep | SmokeStep | SwitchStep
    | PostChecksStep | CommandStep,
    Field(discriminator="kind"), BeforeValidator(_known_kind),
]
