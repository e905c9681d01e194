"""`erpops training` and `erpops feedback`: sessions with attendance, and trial-run feedback, as evidence."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

T = TypeVar("T")
training_app = typer.Typer(help="Training sessions and attendance (evidence: training.attendance_rate).",
                           no_args_is_help=True)
feedback_app = typer.Typer(help="Feedback by module, severity, milestone and role: triage, resolve by a change "
                            "(evidence: feedback.open_critical; SLA review: erpops ops feedback-review).",
                           no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
ByOpt = Annotated[str, typer.Option("--by", help="Your name.")]


@training_app.command("schedule")
def schedule(
    title: Annotated[str, typer.Option("--title", help="What the session teaches.")],
    role: Annotated[str, typer.Option("--role", help="The role trained, e.g. warehouse.")],
    at: Annotated[datetime, typer.Option("--at", help="When, e.g. 2027-02-10T14:00+08:00.")],
    trainer: Annotated[str, typer.Option("--trainer", help="Who teaches.")],
    invite: Annotated[str, typer.Option("--invite", help="Invitees, comma-separated.")],
    as_json: JsonOpt = False,
) -> None:
    """Schedule a training session for a role, with its invitees."""
    from erp_models.project.delivery import schedule_training
    from erp_models.project.loading import project_by_code

    invitees = [name.strip() for name in invite.split(",") if name.strip()]
    training = _write(lambda s, _: schedule_training(
        s, project_id=project_by_code(s, None).id, title=title, role=role, scheduled_at=at, trainer=trainer,
        invitees=invitees).id)
    _say({"id": training, "title": title, "invitees": invitees}, f"training session {training} scheduled",
         as_json)


@training_app.command("attend")
def attend(
    session_id: Annotated[int, typer.Argument(help="The training session's id.")],
    names: Annotated[list[str], typer.Argument(help="Who attended.")],
    absent: Annotated[bool, typer.Option("--absent", help="Mark them absent instead.")] = False,
) -> None:
    """Record who attended a training session."""
    from erp_models.project.delivery import record_attendance, training_evidence

    rate = _write(lambda s, _: (record_attendance(s, training_id=session_id, attendees=names, attended=not absent),
                                training_evidence(s))[1]["training.attendance_rate"])
    typer.echo(f"{len(names)} marked {'absent' if absent else 'present'}; attendance rate now {rate:.0%}")


@training_app.command("list")
def list_training(as_json: JsonOpt = False) -> None:
    """Training sessions, newest first, with attendance."""
    from erp_models.project.delivery import list_training as query
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        rows = query(uow.session)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    for row in rows:
        typer.echo(f"{row['id']:>5}  {row['scheduled_at']:%Y-%m-%d %H:%M}  {row['role']:<12} "
                   f"{row['confirmed']}/{row['invited']} confirmed  {row['attended']}/{row['invited']} attended  "
                   f"{row['title']}")


@feedback_app.command("submit")
def submit(
    module: Annotated[str, typer.Option("--module", help="e.g. inventory, sales, procurement, migration.")],
    severity: Annotated[str, typer.Option("--severity", help="critical, major, minor or suggestion.")],
    title: Annotated[str, typer.Option("--title", help="One line: what happened.")],
    by: ByOpt,
    body: Annotated[str, typer.Option("--body", help="Details: steps, expected, actual.")] = "",
    milestone: Annotated[str | None, typer.Option("--milestone", help="A milestone code of the loaded plan, "
                                                  "e.g. M8.")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Your ERP role, e.g. warehouse, purchaser, "
                                             "sales.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Report a problem or suggestion from the trial run (or from live use, during hypercare)."""
    from erp_models.enums import FeedbackSeverity
    from erp_models.project.delivery import submit_feedback

    level = choice(FeedbackSeverity, severity, "--severity")
    feedback_id = _write(lambda s, project_id: submit_feedback(
        s, project_id=project_id, module=module, severity=level, title=title, body=body or title,
        submitted_by=by, milestone=milestone, role=role).id)
    _say({"id": feedback_id, "status": "open"}, f"feedback {feedback_id} recorded", as_json)


@feedback_app.command("triage")
def triage(
    feedback_id: Annotated[int, typer.Argument(help="The feedback's id.")],
    severity: Annotated[str, typer.Option("--severity", help="critical, major, minor or suggestion.")],
    owner: Annotated[str, typer.Option("--owner", help="Who will resolve it.")],
    by: ByOpt,
    milestone: Annotated[str | None, typer.Option("--milestone", help="A milestone code of the loaded plan.")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Triage an open item: set its severity (its SLA follows) and its owner, optionally its milestone."""
    from erp_models.enums import FeedbackSeverity
    from erp_models.project.delivery import triage_feedback

    level = choice(FeedbackSeverity, severity, "--severity")
    done = _write(lambda s, _: _row(triage_feedback(s, feedback_id=feedback_id, severity=level, owner=owner, by=by,
                                                    milestone=milestone)))
    _say(done, f"feedback {feedback_id}: triaged {level.value}, owner {done['owner']}", as_json)


@feedback_app.command("set-status")
def set_status(
    feedback_id: Annotated[int, typer.Argument(help="The feedback's id.")],
    status: Annotated[str, typer.Argument(help="triaged, resolved, closed or open.")],
    by: ByOpt,
    change: Annotated[str | None, typer.Option("--change", help="What resolved it (required with resolved): a "
                                               "release tag v1.2.3, a git sha or a flow run id.")] = None,
) -> None:
    """Move a feedback item along: triaged, resolved (naming the change), closed (or reopened)."""
    from erp_models.enums import FeedbackStatus
    from erp_models.project.delivery import set_feedback_status

    new = choice(FeedbackStatus, status, "STATUS")
    done = _write(lambda s, _: _row(set_feedback_status(s, feedback_id=feedback_id, status=new, by=by,
                                                        change=change)))
    typer.echo(f"feedback {feedback_id}: {new.value}" + (f" by {done['resolved_by_change']}"
                                                         if done["resolved_by_change"] else ""))


@feedback_app.command("list")
def list_feedback(
    status: Annotated[str | None, typer.Option("--status", help="open, triaged, resolved or closed.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Feedback items, newest first."""
    from erp_models.enums import FeedbackStatus
    from erp_models.project.delivery import list_feedback as query
    from erpops.commands.db import erp_work

    wanted = choice(FeedbackStatus, status, "--status") if status else None
    with erp_work() as uow:
        rows = [_row(f) for f in query(uow.session, status=wanted)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    for row in rows:
        typer.echo(f"{row['id']:>5}  {row['severity']:<10} {row['status']:<9} {row['module']:<12} "
                   f"{row['owner'] or '-':<10} {row['title']}")


def _row(f: Any) -> dict[str, Any]:
    return {"id": f.id, "module": f.module, "severity": f.severity.value, "status": f.status.value, "title": f.title,
            "by": f.submitted_by, "role": f.role, "milestone": f.milestone, "owner": f.owner,
            "created_at": f.created_at, "resolved_at": f.resolved_at, "resolved_by_change": f.resolved_by_change}


E = TypeVar("E", bound=StrEnum)


def choice(enum: type[E], value: str, option: str) -> E:
    """The enum member named by `value`; one line listing the choices otherwise (typer's Enum types would
    import the whole domain package at start-up and slow `erpops --help`)."""
    try:
        return enum(value)
    except ValueError:
        from infra.errors import ErpopsError

        raise ErpopsError(f"{option}: {value!r} is not one of {', '.join(m.value for m in enum)}") from None


def _write(work: Callable[[Any, int | None], T]) -> T:
    """One unit of work on the latest loaded project (None when no plan is loaded yet)."""
    from sqlalchemy import select

    from erp_models.project.models import Project
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        project_id = uow.session.scalar(select(Project.id).order_by(Project.id.desc()).limit(1))
        result = work(uow.session, project_id)
        uow.commit()
    return result


def _say(document: dict[str, Any], line: str, as_json: bool) -> None:
    typer.echo(json.dumps(document, ensure_ascii=False, default=str) if as_json else line)
