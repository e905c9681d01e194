"""Manuals as Markdown: one page per role and an index; prose here is generic, the facts come from the model."""

from __future__ import annotations

from collections.abc import Sequence

from erpops.manual.model import Permission, RoleManual
from erpops.manual.operations import Operation
from erpops.manual.procedures import Step

DEFAULT_API = "http://127.0.0.1:8000"


def render_index(manuals: Sequence[RoleManual], link_suffix: str = ".md") -> str:
    """The index page: every role, what it does, how many operations it may call, and a link to its manual."""
    lines = [
        "# Operation manuals · 操作手册",
        "",
        "One manual per role of the ERP, generated from erpops' roles, permissions and HTTP API by "
        "`erpops manual`. Each manual lists exactly what that role's API token may do.",
        "",
        "| role · 角色 | what it does | modules | API operations | manual |",
        "|---|---|---|---|---|",
    ]
    for manual in manuals:
        role = manual.role.value
        lines.append(f"| `{role}` | {_cell(manual.description)} | {', '.join(manual.modules)} | "
                     f"{manual.operation_count} | [{role}]({role}{link_suffix}) |")
    return "\n".join(lines) + "\n"


def render_markdown(manual: RoleManual, link_suffix: str | None = ".md") -> str:
    """The whole manual of one role; with `link_suffix` None, without the link to the index of all roles (the
    portal shows one role's manual alone)."""
    role = manual.role.value
    out = [
        f"# Operation manual · 操作手册: `{role}`",
        "",
        *([f"[All roles · 全部角色](index{link_suffix})", ""] if link_suffix is not None else []),
        f"**Role `{role}`:** {manual.description}.",
        "",
        f"This manual is generated from the ERP's own definitions of roles, permissions and API operations, "
        f"so it lists exactly what a `{role}` token may do. Regenerate it with `erpops manual` after an upgrade.",
        "",
        "## Getting access · 获取访问",
        "",
        f"1. An operator issues your token: `erpops token create --user YOUR_NAME --role {role}`. "
        "It is shown once; keep it like a password.",
        "2. Send it with every request, in the header `Authorization: Bearer <token>`. Bodies are JSON "
        "(`Content-Type: application/json`).",
        "3. Check it: `GET /api/v1/me` answers with your user, role and permissions.",
        "",
        "```bash",
        f'curl -H "Authorization: Bearer $TOKEN" {DEFAULT_API}/api/v1/me',
        "```",
        "",
        f"Use the address your operator gives you; `erpops api` listens on `{DEFAULT_API}` by default. "
        "Without a valid token the answer is 401; an operation your role may not call answers 403 "
        "`permission_denied`. Every error is JSON: `{\"error\": code, \"detail\": ...}`.",
        "",
        "## Modules and permissions · 模块与权限",
        "",
        f"Modules: {', '.join(f'`{m}`' for m in manual.modules) or 'none'}.",
        "",
        *_permission_table(manual.permissions, with_holders=False),
        "## Common tasks · 常用操作",
        "",
    ]
    allows = {p.code: p.description for p in manual.permissions}
    for number, task in enumerate(manual.tasks, start=1):
        out += [f"### {number}. {task.title}", "", f"Needs `{task.permission}`: {allows[task.permission]}.", ""]
        out += [f"{i}. {_step(step)}" for i, step in enumerate(task.steps, start=1)] + [""]
    if not manual.tasks:
        out += ["This role changes nothing: it reads, through the operations listed below.", ""]
    out += ["## API operations · 接口", ""]
    for module, ops in manual.operations:
        out += [f"### {module}", "", *_operation_table(ops)]
    out += ["### Every token holder · 所有用户", "", *_operation_table(manual.open_operations)]
    out += ["## Not permitted · 无权限", ""]
    if manual.denied_modules:
        out += [f"No permission in the modules {', '.join(f'`{m}`' for m in manual.denied_modules)}.", ""]
    if manual.denied_permissions:
        out += ["For these, ask someone whose role holds the permission:", "",
                *_permission_table(manual.denied_permissions, with_holders=True)]
    else:
        out += ["Nothing: this role holds every permission.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _step(step: Step) -> str:
    op = step.operation
    if op is None:
        return f"{step.action}."
    text = f"{step.action} `{op.method} {op.path}`" + (f" ({step.body})" if step.body else "")
    return f"{text}: {op.summary}" if op.summary else f"{text}."


def _operation_table(ops: Sequence[Operation]) -> list[str]:
    rows = ["| method | path | what it does | permission |", "|---|---|---|---|"]
    for op in ops:
        needs = f"`{op.permission}`" if op.permission else "any valid token" if op.needs_token else "no token"
        rows.append(f"| {op.method} | `{_cell(op.path)}` | {_cell(op.summary)} | {needs} |")
    return [*rows, ""]


def _permission_table(permissions: Sequence[Permission], *, with_holders: bool) -> list[str]:
    head = "| permission | allows | held by |" if with_holders else "| permission | allows |"
    rows = [head, "|---|---|---|" if with_holders else "|---|---|"]
    for p in permissions:
        holders = f" {', '.join(f'`{r}`' for r in p.held_by)} |" if with_holders else ""
        rows.append(f"| `{p.code}` | {_cell(p.description)} |{holders}")
    return [*rows, ""]


def _cell(text: str) -> str:
    """Text safe inside a table cell: a pipe would end the cell."""
    return text.replace("|", "\\|")
