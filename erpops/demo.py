"""`erpops demo`: the lifecycle on sample data and the example plan, recorded in the Prefect UI."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, cast

from rich.console import Console

EXAMPLE_PLAN = Path(__file__).resolve().parents[1] / "examples" / "plan.yaml"
DEMO_ORDERS = 300
TRIAL_QUARANTINE_RATE = 0.05  # the example plan's M3 limit on the trial migration's quarantine rate


def run_demo(console: Console) -> dict[str, Any]:
    """Stack, schema, readiness, plan, sample data, dry run then load, trial run, smoke load, gates; what a script
    needs."""
    from erpops.commands.runtime import stack_for_flows
    from infra.db import get_engine
    from infra.migrate import upgrade
    from infra.settings import get_settings
    from infra.stack import bring_up

    started = time.monotonic()
    settings = get_settings()
    with console.status("starting PostgreSQL and the Prefect server ..."):
        stack = bring_up(settings)
        upgrade(get_engine(stack.database_url))
    stack_for_flows(console)
    console.print(f"[green]✓[/] stack up, ERP schema at head: Prefect UI at {stack.ui_url}")
    runs: dict[str, str] = {}

    from flows.readiness import check_readiness  # imports Prefect, now pointed at our server

    with console.status("1/10 environment-readiness flow ..."):
        report = check_readiness(api_url=stack.prefect_api_url, state_dir=settings.state_dir)
    runs["environment-readiness"] = report.flow_run_id
    for check in report.checks:
        console.print(f"{'[green]✓[/]' if check.ok else '[red]✗[/]'} {check.check}: {check.detail}")
    if not report.ready:
        return _result(report.ready, stack, runs, None, started, {})

    from erp_models.enums import MilestoneStatus
    from erpops.commands.runtime import outcome_of
    from flows.plan import GatesParams, PlanParams, failing_criterion, plan, run_gates

    with console.status("2/10 plan flow: loading examples/plan.yaml ..."):
        planned = plan(PlanParams(plan_file=str(_example_plan())))
    runs["plan"] = planned.flow_run_id
    console.print(f"[green]✓[/] plan {planned.project_code} loaded and reported (vendors ranked, budget, timeline)")

    migration = _migrate(console, settings.state_dir / "demo", settings.state_dir / "migrations", runs)
    with console.status("5/10 trial run: operation manuals, a training session, feedback ..."):
        from erpops.demo_trial import run_trial

        trial = run_trial(settings.state_dir / "manual")
    console.print(f"[green]✓[/] trial run: manuals for {trial['manual_roles']} roles in {trial['manual_dir']}, "
                  f"attendance {trial['attendance_rate']:.0%}, {trial['open_feedback']} feedback items open")
    from infra.api_process import serving_api
    from infra.stack import database_url

    # One ERP API on loopback serves the smoke load and the monitor's probe (the rehearsal's smoke test runs its own
    # against the rehearsal's copy): started once, it saves the demo a server start.
    with ExitStack() as serving:
        with console.status("starting the ERP API on loopback ..."):
            api = serving.enter_context(serving_api(database_url(), settings.state_dir / "demo" / "api.log"))
        console.print(f"[green]✓[/] ERP API at {api.url} for the smoke load and the monitor")
        load = _smoke_load(console, settings.state_dir / "loadtests", runs, api.url)
        rehearsal = _rehearse_cutover(console, settings.state_dir / "demo", runs)
        monitored = _monitor(console, runs, api.url)
    analysed = _analyse(console, runs)
    with console.status("10/10 milestone-gates flow ..."):
        gates_state, judged = run_gates(GatesParams(ask_for_approval=False))
    gates = outcome_of("milestone-gates", gates_state, judged)
    runs["milestone-gates"] = gates.flow_run_id
    for m in gates.milestones:
        why = failing_criterion(m) if m.status is MilestoneStatus.FAILED else ""
        console.print(f"  {m.code} {m.name}: [bold]{m.status.value}[/]" + (f" ({why})" if why else ""),
                      soft_wrap=True)
    links = artifact_links(stack.ui_url, ("milestones", "risks", "budget"))
    console.print(f"\nPrefect UI: [bold]{stack.ui_url}[/]  gates run: {stack.ui_url}/runs/flow-run/"
                  f"{gates.flow_run_id}", soft_wrap=True)
    for key, url in links.items():
        console.print(f"  {key}: {url}", soft_wrap=True)
    portal = trial["portal"]
    console.print(f"Trial-run portal for {portal['user']} ({portal['role']}): run `erpops api`, then open "
                  f"{portal['link']} (signs in once, until {portal['expires_at'][:16]} UTC)", soft_wrap=True)
    console.print("Stop the stack with `erpops stop`; `erpops server` brings it back.")
    return _result(report.ready, stack, runs, migration, started,
                   {m.code: m.status.value for m in gates.milestones}) | {"loadtest": load, "cutover": rehearsal,
                                                                          "monitor": monitored,
                                                                          "analysis": analysed, "artifacts": links,
                                                                          "portal": portal}


def artifact_links(ui_url: str, keys: tuple[str, ...]) -> dict[str, str]:
    """The UI page of each key's newest artifact version (its content, not the list of versions)."""
    from prefect.artifacts import Artifact

    links = {}
    for key in keys:
        found = cast(Any, Artifact.get(key))  # the sync call (Prefect types it as maybe a coroutine)
        links[key] = f"{ui_url}/artifacts/artifact/{found.id}" if found else f"{ui_url}/artifacts/key/{key}"
    return links


def _migrate(console: Console, workdir: Path, out_dir: Path, runs: dict[str, str]) -> dict[str, Any]:
    """Sample data, a dry run, then the real load: the migration engineer's routine."""
    from erpops.sample_data.generator import generate
    from flows.migration import MigrateParams, run_migration

    with console.status(f"3/10 sample data: {DEMO_ORDERS} orders of a legacy export ..."):
        sample = generate(workdir / "legacy-export", orders=DEMO_ORDERS)
    outcome: dict[str, Any] = {}
    for step, dry_run in (("4/10 migration dry run", True), ("4/10 migration load", False)):
        with console.status(f"{step} ..."):
            result = run_migration(MigrateParams(mapping=str(sample.mapping), dry_run=dry_run,
                                           out_dir=str(out_dir)))
        runs["migration (dry run)" if dry_run else "migration"] = result.flow_run_id
        loaded = sum(e.loaded for e in result.entities)
        quarantined = sum(e.quarantined for e in result.entities)
        console.print(f"{'[green]✓[/]' if result.status == 'passed' else '[red]✗[/]'} {step}: {result.status}, "
                      f"{loaded} rows {'would load' if dry_run else 'loaded'}, {quarantined} quarantined")
        outcome = {"run_id": str(result.run_id), "status": result.status, "loaded": loaded,
                   "quarantined": quarantined, "quarantine_csv": result.quarantine_csv}
    return outcome


def _smoke_load(console: Console, out_dir: Path, runs: dict[str, str], api_url: str) -> dict[str, Any]:
    """QA's smoke load (the example plan's profile, 12 s) against the API on the migrated data: M6 reads it.

    Once a smoke run has passed, a later demo leaves it at that: every run adds its own tagged data to the ERP,
    and a second demo should find everything already in place."""
    from erp_models.loadtest.baseline import last_passing_baseline
    from erp_models.loadtest.profiles import ProfileName
    from flows.load_test import LoadTestParams, run_load_test
    from infra.db import UnitOfWork

    with UnitOfWork() as uow:
        passed_run, _ = last_passing_baseline(uow.session, profile=ProfileName.SMOKE.value)
    if passed_run is not None:
        console.print(f"[green]✓[/] load test smoke: passed before (run {passed_run}), not run again; "
                      "`erpops loadtest run --profile smoke` runs another", soft_wrap=True)
        return {"run_id": passed_run, "status": "passed", "ran": False}

    with console.status("6/10 load-test flow: a 12 s smoke load on the ERP API ..."):
        state, outcome = run_load_test(LoadTestParams(profile=ProfileName.SMOKE, plan_file=str(_example_plan()),
                                                      out_dir=str(out_dir.resolve()), api_url=api_url))
    if outcome is None:
        console.print(f"[red]✗[/] load test smoke: {state.type.value} ({state.message})")
        return {"status": state.type.value.lower(), "reason": state.message}
    runs["load-test"] = outcome.run_id
    place = outcome.endpoints.get("place_order")
    figures = f"place_order p95 {place.p95_ms:g} ms, " if place and place.p95_ms is not None else ""
    console.print(f"{'[green]✓[/]' if outcome.status == 'passed' else '[red]✗[/]'} load test smoke: "
                  f"{outcome.status.value}, {figures}{outcome.endpoints['total'].requests} requests, invariants "
                  f"{'hold' if outcome.invariants['ok'] else 'violated'}" + (f" ({outcome.reason})" if outcome.reason
                                                                             else ""), soft_wrap=True)
    return {"run_id": outcome.run_id, "status": outcome.status.value, "report_html": outcome.report_html, "ran": True}


def _rehearse_cutover(console: Console, workdir: Path, runs: dict[str, str]) -> dict[str, Any]:
    """The go-live runbook (examples/cutover.yaml) rehearsed once on a copy of the ERP, its final delta on the demo's
    export, and its rollback drill timed: M7 reads the evidence. The demo's smoke load stands in for the
    post-check's own, and the approver signs the go/no-go off on the command line.

    The sample export is deliberately dirty (about 5 % of its master data is quarantined, and a delta reads that
    master data again), so the rehearsal's reconciliation gate uses the trial migration's limit (M3: 5 %) instead of
    go-live's 0.5 %: the rehearsal practises the procedure, while M7 keeps failing on the go-live limit."""
    import yaml

    from erp_models.cutover.journal import CutoverMode, CutoverStatus
    from erpops.commands.cutover import EXAMPLE_RUNBOOK
    from flows.cutover import CutoverParams, run_cutover

    document = yaml.safe_load(EXAMPLE_RUNBOOK.read_text(encoding="utf-8"))
    approver = ""
    for step in document["steps"]:
        if step["kind"] == "final_delta":
            step["mapping"] = str((workdir / "legacy-export" / "mapping.yaml").resolve())
        elif step["kind"] == "post_checks":
            step["checks"] = [c for c in step.get("checks", []) if c != "smoke_load"] or ["db_check"]
        elif step["kind"] == "reconcile":  # the sample export's known dirt is re-read by every delta
            step["thresholds"] = step.get("thresholds", {}) | {"max_quarantine_rate": TRIAL_QUARANTINE_RATE}
        elif step["kind"] == "go_no_go":
            approver = step["approver"]["name"]
    runbook = workdir / "cutover.yaml"
    runbook.write_text("# examples/cutover.yaml with the demo's mapping, without the post-check's smoke load (the demo "
                       "ran one),\n# and the trial migration's 5 % quarantine limit on the reconciliation (the "
                       "sample export is dirty);\n# written by `erpops demo`\n"
                       + yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with console.status("7/10 cutover flow: rehearsing the go-live runbook on a copy of the ERP ..."):
        state, outcome = run_cutover(CutoverParams(runbook=str(runbook.resolve()), mode=CutoverMode.REHEARSAL,
                                                   approve_as=approver))
    if outcome is None:
        return _no_outcome(console, "cutover rehearsal", state)
    journal = outcome.journal
    runs["cutover"] = outcome.flow_run_id
    ok = journal.status is CutoverStatus.PASSED
    console.print(f"{'[green]✓[/]' if ok else '[red]✗[/]'} cutover rehearsal: {journal.status.value}, "
                  f"{len(journal.steps)} steps in {journal.duration_s or 0:.0f} s, rollback drill "
                  f"{journal.rollback_s or 0:.1f} s (rto {journal.rto_s / 60:g} min), go/no-go signed off by {approver}"
                  + (f" ({journal.reason})" if journal.reason else ""), soft_wrap=True)
    return {"run_id": journal.run_id, "status": journal.status.value, "rollback_s": journal.rollback_s,
            "duration_s": journal.duration_s}


def _monitor(console: Console, runs: dict[str, str], api_url: str) -> dict[str, Any]:
    """One pass of the `monitor` flow with the example plan's limits: what an IT-operations lead schedules."""
    from flows.monitor import MonitorParams, run_monitor
    from tasks.ops.monitor_report import MonitorStatus

    with console.status("8/10 monitor flow: database, API, invariants, live data quality, outbox, KPIs ..."):
        state, outcome = run_monitor(MonitorParams(plan_file=str(_example_plan()), api_url=api_url))
    if outcome is None:
        return _no_outcome(console, "monitor", state)
    runs["monitor"] = outcome.run_id
    ok = outcome.status is MonitorStatus.PASSED
    console.print(f"{'[green]✓[/]' if ok else '[red]✗[/]'} monitor: {outcome.status.value}, {len(outcome.checks)} "
                  f"checks, {len(outcome.open_incidents)} open incidents" + (f" ({outcome.reason})" if outcome.reason
                                                                             else ""), soft_wrap=True)
    return {"run_id": outcome.run_id, "status": outcome.status.value, "violations": outcome.violations,
            "open_incidents": outcome.open_incidents}


def _analyse(console: Console, runs: dict[str, str]) -> dict[str, Any]:
    """One `analysis` run over the demo's sales: ABC, cover, slow movers and reorder proposals as draft POs."""
    from flows.analysis import AnalysisParams, run_analysis

    with console.status("9/10 analysis flow: sales, ABC, stock cover, slow movers, reorder proposals ..."):
        state, outcome = run_analysis(AnalysisParams(plan_file=str(_example_plan())))
    if outcome is None:
        return _no_outcome(console, "analysis", state)
    runs["analysis"] = outcome.run_id
    s = outcome.summary
    console.print(f"[green]✓[/] analysis {s.first_day}..{s.last_day}: {s.orders} orders, ABC "
                  f"{s.abc.get('A', 0)}/{s.abc.get('B', 0)}/{s.abc.get('C', 0)}, {s.slow_movers} slow movers, "
                  f"{s.skus_below_rop} SKUs below their reorder point, {len(outcome.drafts or [])} draft POs; CSVs in "
                  f"{outcome.run_dir}", soft_wrap=True)
    return {"run_id": outcome.run_id, "status": "done", "orders": s.orders, "abc": s.abc,
            "skus_below_rop": s.skus_below_rop, "drafts": len(outcome.drafts or []), "run_dir": outcome.run_dir}


def _no_outcome(console: Console, what: str, state: Any) -> dict[str, Any]:
    """A flow run that ended without an outcome (it crashed): its state and message, in the output and the summary."""
    console.print(f"[red]✗[/] {what}: {state.type.value} ({state.message})", soft_wrap=True)
    return {"status": state.type.value.lower(), "reason": state.message}


def _example_plan() -> Path:
    if not EXAMPLE_PLAN.is_file():
        from infra.errors import ConfigError

        raise ConfigError(f"{EXAMPLE_PLAN}: the example plan is missing; run the demo from a clone of erpops")
    return EXAMPLE_PLAN


def _result(ready: bool, stack: Any, runs: dict[str, str], migration: dict[str, Any] | None, started: float,
            milestones: dict[str, str]) -> dict[str, Any]:
    from erp_models.fingerprint import database_fingerprint
    from infra.db import UnitOfWork

    with UnitOfWork() as uow:
        overall = database_fingerprint(uow.session)[1]
    return {
        "ready": ready, "prefect_ui": stack.ui_url, "prefect_api": stack.prefect_api_url, "flow_runs": runs,
        "migration": migration, "milestones": milestones,
        "fingerprint": overall,
        "seconds": round(time.monotonic() - started, 1),
    }
