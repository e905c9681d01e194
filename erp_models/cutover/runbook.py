"""The cutover runbook file: steps with owners, estimates, predecessors and kinds, around exactly one switch.

Steps before the switch in the graph are pre-switch: a failure there rolls back (restore the pre-cutover backup,
unfreeze). Steps after it never restore over live orders. Every other step must be one or the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from erp_models.cutover.graph import StepGraphError, ancestors, check_references, critical_path, descendants
from erp_models.cutover.graph import execution_order as graph_order
from erp_models.cutover.steps import Seconds, Step, StepKind, Strict, Text
from erp_models.yaml_files import load_yaml_model

BEFORE_SWITCH = frozenset({StepKind.READINESS, StepKind.GO_NO_GO, StepKind.BACKUP, StepKind.FREEZE,
                           StepKind.FINAL_DELTA, StepKind.RECONCILE, StepKind.SMOKE})
AFTER_SWITCH = frozenset({StepKind.POST_CHECKS})


class RunbookError(ValueError):
    """A runbook that cannot be used; the message is one line naming the file and the place."""


class Runbook(Strict):
    name: Text
    rto: Seconds = Field(description="the rollback time objective: a rollback must finish within it")
    steps: Annotated[list[Step], Field(min_length=1)]

    @model_validator(mode="after")
    def _graph(self) -> Runbook:
        check_references(self.steps)
        _check_switch(self)
        return self

    @property
    def switch(self) -> Step:
        return next(s for s in self.steps if s.kind is StepKind.SWITCH)

    def pre_switch(self) -> set[str]:
        """The steps the rollback covers: every step that must finish before the switch."""
        return ancestors(self.steps, self.switch.name)

    def execution_order(self) -> list[Step]:
        by_name = {s.name: s for s in self.steps}
        return [by_name[n] for n in graph_order(self.steps)]

    def critical_path(self) -> list[str]:
        return critical_path(self.steps)

    def total_estimate(self) -> float:
        """The sum of every step's estimate: the work, whereas the critical path is the elapsed time."""
        return sum(s.estimate for s in self.steps)


def _check_switch(runbook: Runbook) -> None:
    switches = [i for i, s in enumerate(runbook.steps) if s.kind is StepKind.SWITCH]
    if not switches:
        raise StepGraphError("steps", "no switch step: a runbook has exactly one step of kind switch")
    if len(switches) > 1:
        first = runbook.steps[switches[0]].name
        raise StepGraphError(f"steps.{switches[1]}.kind", f"a second switch step (the first is {first!r})")
    switch = runbook.steps[switches[0]].name
    before, after = ancestors(runbook.steps, switch), descendants(runbook.steps, switch)
    for i, step in enumerate(runbook.steps):
        if step.name == switch:
            continue
        if step.name not in before | after:
            raise StepGraphError(f"steps.{i}.predecessors", f"step {step.name!r} is neither before nor after the "
                                 f"switch {switch!r}: name it in the switch's predecessors or follow the switch")
        if step.kind in BEFORE_SWITCH and step.name not in before:
            raise StepGraphError(f"steps.{i}.kind", f"a {step.kind} step must come before the switch {switch!r}")
        if step.kind in AFTER_SWITCH and step.name not in after:
            raise StepGraphError(f"steps.{i}.kind", f"a {step.kind} step must come after the switch {switch!r}")
    if not any(s.kind is StepKind.BACKUP and s.name in before for s in runbook.steps):
        raise StepGraphError("steps", "no backup step before the switch: the rollback restores the pre-cutover backup")
    freezes = [s.name for s in runbook.steps if s.kind is StepKind.FREEZE]
    for i, step in enumerate(runbook.steps):
        if step.kind is not StepKind.BACKUP:
            continue
        if early := [f for f in freezes if f not in ancestors(runbook.steps, step.name)]:
            raise StepGraphError(f"steps.{i}.predecessors", f"backup {step.name!r} must follow the freeze "
                                 f"{early[0]!r}: writes accepted between the backup and the freeze would be lost")


def load_runbook(path: Path) -> tuple[Runbook, str]:
    """The validated runbook and the sha256 of its text; RunbookError names the file and the place."""
    try:
        return load_yaml_model(path, Runbook, RunbookError, "runbook")
    except StepGraphError as exc:
        raise RunbookError(f"{path}: {exc}") from None
