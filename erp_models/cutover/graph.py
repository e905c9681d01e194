"""The runbook's step graph: execution order, critical path, and which steps the rollback covers.

Pure functions over steps that have a name, an estimate and predecessors; the order is topological and, among
steps that are ready together, follows the file, so the plan reads like the file a team wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Node(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def estimate(self) -> float: ...
    @property
    def predecessors(self) -> list[str]: ...


class StepGraphError(Exception):
    """A broken step graph; `place` is the path in the file (`steps.3.predecessors`), `reason` what is wrong."""

    def __init__(self, place: str, reason: str) -> None:
        super().__init__(f"{place}: {reason}")
        self.place = place
        self.reason = reason


def check_references(steps: Sequence[Node]) -> None:
    """Refuse duplicate names, unknown or self predecessors, and cycles, naming the step."""
    index: dict[str, int] = {}
    for i, step in enumerate(steps):
        if step.name in index:
            first = index[step.name]
            raise StepGraphError(f"steps.{i}.name", f"step {step.name!r} is listed twice (first at steps.{first})")
        index[step.name] = i
    for i, step in enumerate(steps):
        for before in step.predecessors:
            if before == step.name:
                raise StepGraphError(f"steps.{i}.predecessors", f"step {step.name!r} cannot follow itself")
            if before not in index:
                raise StepGraphError(f"steps.{i}.predecessors", f"unknown step {before!r}")
    ordered = _kahn(steps)
    if len(ordered) < len(steps):
        cycle = _a_cycle(steps, set(ordered))
        raise StepGraphError(f"steps.{index[cycle[0]]}.predecessors", "cycle: " + " -> ".join(cycle))


def execution_order(steps: Sequence[Node]) -> list[str]:
    """Step names in an order that respects predecessors; ties keep the file's order."""
    return _kahn(steps)


def _kahn(steps: Sequence[Node]) -> list[str]:
    waiting = {s.name: set(s.predecessors) for s in steps}
    done: list[str] = []
    while True:
        ready = next((s.name for s in steps if s.name in waiting and not waiting[s.name] - set(done)), None)
        if ready is None:
            return done
        done.append(ready)
        del waiting[ready]


def _a_cycle(steps: Sequence[Node], ordered: set[str]) -> list[str]:
    """A cycle among the steps Kahn could not order, starting and ending at the first such step in file order."""
    preds = {s.name: [p for p in s.predecessors if p not in ordered] for s in steps if s.name not in ordered}
    start = next(s.name for s in steps if s.name not in ordered)
    path, current = [start], start
    while True:
        current = preds[current][0]
        if current in path:
            loop = path[path.index(current):] + [current]
            return list(reversed(loop))
        path.append(current)


def ancestors(steps: Sequence[Node], name: str) -> set[str]:
    """Every step that must finish before `name` starts."""
    preds = {s.name: s.predecessors for s in steps}
    seen: set[str] = set()
    todo = list(preds[name])
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(preds[current])
    return seen


def descendants(steps: Sequence[Node], name: str) -> set[str]:
    """Every step that waits, directly or not, for `name`."""
    return {s.name for s in steps if name in ancestors(steps, s.name)}


def critical_path(steps: Sequence[Node]) -> list[str]:
    """The chain of steps with the longest total estimate: the cutover cannot finish sooner than its sum."""
    by_name = {s.name: s for s in steps}
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for name in execution_order(steps):
        step = by_name[name]
        best = max(step.predecessors, key=lambda p: finish[p], default=None)
        via[name] = best
        finish[name] = step.estimate + (finish[best] if best is not None else 0.0)
    if not finish:
        return []
    end: str | None = max(finish, key=lambda n: finish[n])
    path: list[str] = []
    while end is not None:
        path.append(end)
        end = via[end]
    return list(reversed(path))
