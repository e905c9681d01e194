"""`erpops manual`: write an operation manual per role, in Markdown and HTML, from the code's own definitions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def manual(
    out_dir: Annotated[Path, typer.Argument(
        metavar="OUT_DIR", show_default=False,
        help="Folder to write into; created if missing. Only the manuals and the index are overwritten.")],
    role: Annotated[list[str] | None, typer.Option(
        "--role", metavar="ROLE", show_default=False,
        help="Only this role (repeatable); default every built-in role.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    evidence: Annotated[bool, typer.Option(
        "--evidence/--no-evidence", help="Record manual.roles as evidence for milestone gates (needs the database).",
    )] = False,
) -> None:
    """Write an operation manual per role (ROLE.md, ROLE.html) and an index; needs no database."""
    from erp_models.enums import RoleName
    from infra.errors import ConfigError

    known = sorted(r.value for r in RoleName)
    unknown = [name for name in role or [] if name not in known]
    if unknown:
        raise ConfigError(f"unknown role {unknown[0]!r} (roles: {', '.join(known)})")
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir}: exists and is not a directory")

    from erpops.manual import write_manuals

    try:
        written = write_manuals(out_dir, [RoleName(name) for name in role] if role else None)
    except OSError as exc:
        raise ConfigError(f"{exc.filename or out_dir}: cannot write the manuals ({exc.strerror or exc})") from None
    if evidence:
        _record(len(written.operations), out_dir)
    if as_json:
        typer.echo(json.dumps(written.to_json(), indent=2, ensure_ascii=False))
        return
    for name, count in written.operations.items():
        typer.echo(f"{name:<20} {count:>3} API operations, {written.tasks[name]:>3} tasks  "
                   f"{out_dir / name}.md  {out_dir / name}.html")
    typer.echo(f"index: {out_dir / 'index.html'}")


def _record(roles: int, out_dir: Path) -> None:
    from erp_models.project.evidence import record_evidence
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        record_evidence(uow.session, source="erpops manual", values={"manual.roles": roles},
                        detail={"dir": str(out_dir.resolve())})
        uow.commit()
