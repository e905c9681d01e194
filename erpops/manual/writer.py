"""Write the manuals of some or all roles, in Markdown and HTML, with an index linking them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from erp_models.enums import RoleName
from erpops.manual.html_page import to_html
from erpops.manual.model import build_manuals
from erpops.manual.operations import api_operations
from erpops.manual.render import render_index, render_markdown


@dataclass(frozen=True)
class ManualSet:
    """What `write_manuals` wrote: every file, and per role how many API operations its manual lists."""

    out_dir: Path
    files: tuple[Path, ...]
    operations: dict[str, int]  # role -> API operations its permissions allow
    tasks: dict[str, int]  # role -> common tasks its manual describes

    def to_json(self) -> dict[str, object]:
        return {"out_dir": str(self.out_dir), "files": [str(f) for f in self.files],
                "roles": {role: {"operations": count, "tasks": self.tasks[role]}
                          for role, count in self.operations.items()}}


def write_manuals(out_dir: Path, roles: Sequence[RoleName] | None = None) -> ManualSet:
    """Write `<role>.md`, `<role>.html` for `roles` (default: all) and `index.md`, `index.html` into `out_dir`.

    The index links the manuals written by this call; other files in `out_dir` are left alone.
    """
    manuals = build_manuals(api_operations(), roles)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for manual in manuals:
        role = manual.role.value
        title = f"Operation manual: {role}"
        files.append(_write(out_dir / f"{role}.md", render_markdown(manual, ".md")))
        files.append(_write(out_dir / f"{role}.html", to_html(render_markdown(manual, ".html"), title)))
    files.append(_write(out_dir / "index.md", render_index(manuals, ".md")))
    files.append(_write(out_dir / "index.html", to_html(render_index(manuals, ".html"), "Operation manuals")))
    return ManualSet(out_dir=out_dir, files=tuple(files),
                     operations={m.role.value: m.operation_count for m in manuals},
                     tasks={m.role.value: len(m.tasks) for m in manuals})


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
