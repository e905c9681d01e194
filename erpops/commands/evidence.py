"""`erpops evidence`: record measurements for milestone gates (values, JUnit reports) and list what gates read."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from erp_models.project.evidence import EvidenceRecord

app = typer.Typer(help="The evidence store that milestone gates read: record and list measurements.",
                  no_args_is_help=True)


@app.command()
def record(
    values: Annotated[list[str], typer.Argument(metavar="KEY=VALUE...", help="e.g. training.attendance_rate=0.9")],
    source: Annotated[str | None, typer.Option("--source", help="Where the values come from.")] = None,
) -> None:
    """Record one or more measured values, e.g. from a load test or a manual check."""
    parsed = {}
    for item in values:
        key, sep, raw = item.partition("=")
        try:
            parsed[_known(key.strip())] = float(raw)
        except ValueError:
            if sep and key:
                _fail(f"{item!r}: {raw!r} is not a number")
            _fail(f"{item!r}: write KEY=VALUE, e.g. tests.integration.pass_rate=1.0")
    _store(parsed, source or f"cli:{getpass.getuser()}", {})
    typer.echo(", ".join(f"{k} = {v:g}" for k, v in parsed.items()))


@app.command()
def junit(
    report: Annotated[Path, typer.Argument(help="A JUnit XML report, e.g. from `pytest --junitxml=FILE`.")],
    suite: Annotated[str, typer.Option("--suite", help="Suite name in the keys: tests.<suite>.pass_rate")],
) -> None:
    """Record a test run's totals and pass rate from its JUnit XML report."""
    from erp_models.project.junit import read_junit

    name = _slug(suite)
    totals = read_junit(report)
    _store(totals.evidence(name), f"junit {report.name}", {"report": str(report.resolve())})
    typer.echo(f"{suite}: {totals.passed} of {totals.ran} passed ({totals.skipped} skipped)")


@app.command("list")
def list_(
    prefix: Annotated[str, typer.Option("--prefix", help="Only keys starting with this.")] = "",
    history: Annotated[bool, typer.Option("--all", help="Every value ever recorded, not only the latest.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Per key: the value milestone gates read, and anything recorded after it (withdrawn, not counting),
    with its source, run id and time."""
    from erp_models.project.evidence import evidence_records, judged_evidence
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        judged = judged_evidence(uow.session, prefix=prefix)
        records = evidence_records(uow.session, prefix=prefix, history=history)
    if as_json:
        typer.echo(json.dumps({"judged": judged, "evidence": [_document(r) for r in records]}, indent=2,
                              ensure_ascii=False))
        return
    if not records:
        typer.echo(f"no evidence recorded{f' under {prefix!r}' if prefix else ''}")
        return
    header = ("KEY", "VALUE", "STATE", "RECORDED (UTC)", "RUN ID")
    cells = [(r.key, f"{r.value:g}", r.state.value, _utc(r.recorded_at), str(r.run_id or "-")) for r in records]
    widths = [max(len(row[n]) for row in [header, *cells]) for n in range(len(header))]

    def line(row: tuple[str, ...], source: str) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + "  " + source

    typer.echo(line(header, "SOURCE"))
    for record, row in zip(records, cells, strict=True):
        typer.echo(line(row, record.source))
        if record.withdrawn_at is not None:
            typer.echo(f"{'':{widths[0]}}  withdrawn {_utc(record.withdrawn_at)} by {record.withdrawn_by}: "
                       f"{record.withdrawn_reason or 'no reason given'}")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _document(record: EvidenceRecord) -> dict[str, object]:
    return {"key": record.key, "value": record.value, "state": record.state.value, "judged": record.state == "judged",
            "source": record.source, "run_id": None if record.run_id is None else str(record.run_id),
            "scope": record.scope, "recorded_at": record.recorded_at.isoformat(),
            "withdrawn": record.withdrawn_at is not None,
            "withdrawn_at": None if record.withdrawn_at is None else record.withdrawn_at.isoformat(),
            "withdrawn_by": record.withdrawn_by, "withdrawn_reason": record.withdrawn_reason}


def _known(key: str) -> str:
    from erp_models.project.criteria import EVIDENCE_KEYS, is_known_key

    if key.startswith("loadtest."):  # gates read only what the load-test flow measured and judged
        _fail(f"{key!r}: load-test evidence is recorded by the load-test flow, not by hand; "
              "run `erpops loadtest run --profile smoke|load|stress|soak`")
    if key.startswith("cutover."):  # rehearsals and rollbacks are measured by the cutover flow
        _fail(f"{key!r}: cutover evidence is recorded by the cutover flow, not by hand; "
              "run `erpops cutover rehearse`")
    if not is_known_key(key):
        _fail(f"unknown evidence key {key!r}; keys look like: " + ", ".join(p.replace("\\", "") for p in EVIDENCE_KEYS))
    return key


def _slug(name: str) -> str:
    slug = name.strip().lower().replace("-", "_")
    if not slug or not slug.replace("_", "").isalnum():
        _fail(f"--suite {name!r}: use letters, digits and underscores")
    return slug


def _store(values: dict[str, float], source: str, detail: dict[str, object]) -> None:
    from erp_models.project.evidence import record_evidence
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        record_evidence(uow.session, source=source, values=values, detail=detail)
        uow.commit()


def _fail(message: str) -> NoReturn:
    from infra.errors import ErpopsError

    raise ErpopsError(message)
