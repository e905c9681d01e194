"""Common tasks as short numbered procedures, derived from the operations a role may call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from erpops.api.app import API_PREFIX
from erpops.manual.operations import Operation


@dataclass(frozen=True)
class Step:
    """One step: an action in words, the operation that carries it out (if any), and the body it sends."""

    action: str
    operation: Operation | None = None
    body: str = ""


@dataclass(frozen=True)
class Task:
    """A write operation, with the look-ups before it and the check after it that the role may also call."""

    title: str
    permission: str
    steps: tuple[Step, ...]


def derive_tasks(allowed: Sequence[Operation]) -> list[Task]:
    """One task per write operation in `allowed`, in the API's own order."""
    reads = [op for op in allowed if not op.writes]
    tasks = []
    for op in allowed:
        if not op.writes or op.permission is None:
            continue
        steps = [_find_step(op, param, reads) for param in op.path_params]
        steps.append(Step("Call", op, _body(op)))
        check = _check_operation(op, reads)
        if check is not None:
            steps.append(Step("Check the result with", check))
        tasks.append(Task(title=op.title, permission=op.permission, steps=tuple(steps)))
    return tasks


def _find_step(op: Operation, param: str, reads: Sequence[Operation]) -> Step:
    """How to fill in a path parameter: list the collection it indexes, or pick one of its allowed values."""
    collection = op.path.split("{" + param + "}")[0].rstrip("/")
    lister = next((read for read in reads if read.path == collection), None)
    if lister is not None:
        return Step(f"Find the `{param}` with", lister)
    choices = dict(op.path_choices).get(param)
    if choices:
        return Step(f"Choose `{param}`: one of {', '.join(f'`{c}`' for c in choices)}")
    return Step(f"Have the `{param}` at hand")


def _body(op: Operation) -> str:
    if not op.body_required and not op.body_optional:
        return "no body"
    parts = []
    if op.body_required:
        parts.append(f"required {', '.join(map(_code, op.body_required))}")
    if op.body_optional:
        parts.append(f"optional {', '.join(map(_code, op.body_optional))}")
    return f"JSON body: {'; '.join(parts)}"


def _code(field: str) -> str:
    """`channel` (tmall, jd): the name as code, its allowed values as text."""
    name, values = field.split(" (", 1) if " (" in field else (field, "")
    return f"`{name}` ({values}" if values else f"`{name}`"


def _check_operation(op: Operation, reads: Sequence[Operation]) -> Operation | None:
    """The read that shows the record `op` changed: `GET /<root>/{id}` if the role may call it, else `GET /<root>`."""
    root = _root(op.path)
    for read in reads:
        if _root(read.path) == root and read.path.count("/") == root.count("/") + 1 and read.path_params:
            return read
    return next((read for read in reads if read.path == root), None)


def _root(path: str) -> str:
    """The resource a path belongs to: `/api/v1/purchase-orders` for `/api/v1/purchase-orders/{po_id}/close`."""
    head, _, rest = path.partition(f"{API_PREFIX}/")
    return f"{head}{API_PREFIX}/{rest.split('/')[0]}" if rest else path
