"""`erpops ops drill`: the restore-drill flow once (the schema-upgrade flow runs through `erpops db upgrade`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def drill(
    backup: Annotated[str | None, typer.Option("--backup", metavar="ID", help="Drill this backup (id, label or "
                                               "prefix) instead of the newest.")] = None,
    take_backup: Annotated[bool, typer.Option("--take-backup", help="Take a fresh backup first and drill it.")]
    = False,
    max_rpo: Annotated[float | None, typer.Option("--max-rpo", metavar="S", min=0.001, help="Fail when the newest "
                                                  "backup is older than S seconds (default ERPOPS_DRILL_MAX_RPO_S).")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore the newest backup into a scratch database, compare its fingerprint, run `db check`, measure RTO and
    RPO, drop it. A failed drill opens incident ops.restore_drill. Exit 0 passed, 1 failed, 2 bad input."""
    from rich.console import Console

    from erpops.commands.runtime import outcome_of, stack_for_flows

    if backup is not None and take_backup:
        raise typer.BadParameter("--backup and --take-backup exclude each other", param_hint="--backup")
    console = Console(stderr=True, quiet=as_json)
    stack = stack_for_flows(console)
    from flows.restore_drill import RestoreDrillParams, run_restore_drill

    state, outcome = run_restore_drill(RestoreDrillParams(backup_id=backup, take_backup=take_backup,
                                                          max_rpo_s=max_rpo))
    outcome = outcome_of("restore-drill", state, outcome)
    f, verdict = outcome.figures, outcome.verdict
    if as_json:
        typer.echo(json.dumps({"ok": verdict.ok, "reasons": verdict.reasons, "evidence": verdict.evidence,
                               **f.model_dump(mode="json"), "incident": outcome.record.model_dump(mode="json"),
                               "flow_run_id": outcome.flow_run_id}, indent=2, ensure_ascii=False))
    else:
        typer.echo(f"restore drill of {f.database}: backup {f.backup_id or '-'}, restore {_s(f.rto_s)} (RTO), "
                   f"newest backup {_s(f.rpo_s)} old (RPO), fingerprint {f.fingerprint or '-'} "
                   f"(recorded {f.expected_fingerprint or '-'}), violations: {', '.join(f.violations) or 'none'}")
        Console().print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{outcome.flow_run_id}", soft_wrap=True)
    if not verdict.ok:
        incident = f" (incident #{outcome.record.incident_id})" if outcome.record.incident_id else ""
        typer.echo(f"erpops: restore drill failed{incident}: {verdict.reason}", err=True)
        raise typer.Exit(1)


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def upgrade_through_flow(target: str, extra_versions: list[str], *, as_json: bool) -> None:
    """`erpops db upgrade` on a database with business data: the schema-upgrade flow; exit 1 unless it passed."""
    from rich.console import Console

    from erpops.commands.runtime import outcome_of, stack_for_flows

    console = Console(stderr=True, quiet=as_json)
    stack = stack_for_flows(console, schema_current=False)  # the schema is what this upgrades
    console.print("the database holds business data: upgrading through the schema-upgrade flow (backup, "
                  "verify, rollback on failure; --no-flow for the bare upgrade)", soft_wrap=True)
    from flows.schema_upgrade import SchemaUpgradeParams, run_schema_upgrade

    state, outcome = run_schema_upgrade(SchemaUpgradeParams(target=target, extra_versions=extra_versions))
    outcome = outcome_of("schema-upgrade", state, outcome)
    u = outcome.upgrade
    if as_json:
        typer.echo(json.dumps({**u.model_dump(mode="json"), "flow": True, "revision": u.final_revision,
                               "duration_s": u.duration_s, "incident_id": outcome.incident_id,
                               "flow_run_id": outcome.flow_run_id}, indent=2, ensure_ascii=False))
    else:
        typer.echo(f"schema at {u.final_revision}" + ("" if u.final_revision == u.start_revision else
                                                       f" (was {u.start_revision or 'empty'})")
                   + (f"; backup {u.backup_id}" if u.backup_id else "")
                   + (f"; verified {', '.join(u.verified)}" if u.verified else ""))
        timings = ", ".join(f"{k} {v:.1f} s" for k, v in u.timings_s.items())
        if timings:
            typer.echo(f"timings: {timings}")
        Console().print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{outcome.flow_run_id}", soft_wrap=True)
    if u.status.value != "passed":
        incident = f" (incident #{outcome.incident_id})" if outcome.incident_id else ""
        typer.echo(f"erpops: schema upgrade {u.status.value}{incident}: {u.reason}", err=True)
        raise typer.Exit(1)
