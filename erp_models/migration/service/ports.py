"""What the migration's phases take from their caller: the run's `Plan`, the `Gate` that validates batches, and
the `Progress` callback."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from erp_models.migration.gate_result import GateResult, Severity
from erp_models.migration.mapping import Mapping

Progress = Callable[[str, str, int], None]  # entity, phase, rows done


class Gate(Protocol):
    """Validates a batch of a target's transformed rows: which rows to quarantine, and why. ``disable`` names
    expectations left out; ``docs_run`` keeps the validation for that run's Data Docs. `check` vets a mapping's
    gate settings before a run starts."""

    def __call__(self, frame: pd.DataFrame, target: str, *, severity: dict[str, Severity], disable: list[str],
                 docs_run: str | None) -> GateResult: ...

    def check(self, target: str, *, severity: dict[str, Severity], disable: list[str]) -> None:
        """Raise ValueError, in one line, when the mapping's gate settings do not fit the target's suite."""


@dataclass
class Plan:
    run_id: uuid.UUID
    mapping: Mapping
    base_dir: Path
    order: list[str]
    gate: Gate
    delta_marks: dict[str, str] = field(default_factory=dict)  # entity -> the watermark a delta starts from
