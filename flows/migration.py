"""Migration: legacy exports through mapping, GX gates and quarantine into the ERP, with a reconciliation."""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from prefect import flow, runtime, tags
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.client.schemas.objects import State
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.states import Failed
from pydantic import BaseModel, Field, SecretStr

from erp_models.enums import MigrationMode, MigrationRunStatus
from erp_models.migration.mapping import MappingError, load_mapping
from erp_models.migration.service.relations import fated_parents, reading_groups
from flows.outcomes import outcome_of_state
from flows.task_tags import untagged_tasks
from infra.stack import database_url
from tasks.migration.flow_runs import mark_replaced_flow_run
from tasks.migration.progress import Reporter, reporting
from tasks.migration.runners import dask_runner
from tasks.migration.tasks import (
    EntityResult,
    RunPlan,
    RunRequest,
    check_staged,
    dry_run_entities,
    export_quarantine,
    finish_run,
    load_entity,
    plan_run,
    stage_batches,
    stage_entities,
    undo_run,
    write_docs,
)
from tasks.report_links import publish_link


class MigrateParams(BaseModel):
    """What the Prefect UI's run form asks for."""

    mapping: str = Field(description="Path of the mapping YAML file")
    dry_run: bool = Field(default=False, description="Do everything, report everything, then roll back")
    resume: bool = Field(default=False, description="Continue the newest unfinished run of this mapping")
    delta: bool = Field(default=False, description="Only rows newer than the last load's watermark")
    undo: uuid.UUID | None = Field(default=None, description="Revert exactly what this run did")
    force: bool = Field(default=False, description="With resume: go on although the mapping changed since the run "
                        "started")
    out_dir: str = Field(default=".erpops/migrations", description="Where quarantine CSVs are written")
    dask_workers: int = Field(default=0, ge=0, le=64, description="Stage the entities on a local Dask cluster of "
                              "this many worker processes (0: in this process; ERPOPS_DASK_ADDRESS: that cluster)")


class MigrationOutcome(BaseModel):
    run_id: uuid.UUID
    status: MigrationRunStatus
    mode: MigrationMode
    entities: list[EntityResult] = Field(default_factory=list)
    quarantine_csv: str | None = None
    reverted: dict[str, int] = Field(default_factory=dict)
    flow_run_id: str = ""


def run_mode(params: MigrateParams) -> str:
    """What the run does, as its name and its `mode:` tag say it (`dry-run`, `resume`, `delta`, `load`, `undo`)."""
    mode = (MigrationMode.UNDO if params.undo is not None else MigrationMode.DRY_RUN if params.dry_run
            else MigrationMode.RESUME if params.resume else MigrationMode.DELTA if params.delta else MigrationMode.LOAD)
    return mode.value.replace("_", "-")


def mapping_label(mapping: str) -> str:
    """The mapping's own name, else (a mapping that does not load: the run reports why) the file's stem."""
    try:
        return load_mapping(Path(mapping))[0].name
    except (MappingError, OSError):
        return Path(mapping).stem or "mapping"


def _run_name() -> str:
    raw = runtime.flow_run.parameters.get("params")
    params = raw if isinstance(raw, MigrateParams) else MigrateParams.model_validate(raw or {"mapping": ""})
    if params.undo is not None:
        return f"migration/undo/{params.undo}"
    return f"migration/{mapping_label(params.mapping)}/{run_mode(params)}"


def run_migration(params: MigrateParams, reporter: Reporter | None = None) -> MigrationOutcome:
    """Run the flow tagged `phase:migrate`, `mapping:<name>` and `mode:<mode>`, as the runs list filters them; its
    outcome, also when the run ended Failed because a gate blocked it or a reconciliation failed. An error that
    stopped the run is raised, with its hint. ``reporter`` receives (entity, phase, rows done, rows expected)
    as the run goes."""
    labels = ["phase:migrate", f"mode:{run_mode(params)}"]
    if params.undo is None:
        labels.append(f"mapping:{mapping_label(params.mapping)}")
    # No heartbeats from a run this process waits for: they only tell a server that a run whose process died has
    # crashed, and a killed run is marked crashed by the --resume that replaces it; without them the run does not
    # wait up to a second for the heartbeat thread at its end. Runs that workers start keep them.
    with tags(*labels), reporting(reporter), temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        state: State = migrate(params, return_state=True)
    return outcome_of_state(state, MigrationOutcome, "migration")


def _status(results: list[EntityResult], complete: bool) -> MigrationRunStatus:
    if any(r.blocked_by for r in results):
        return MigrationRunStatus.BLOCKED
    passed = complete and all((r.reconciliation or {}).get("ok") for r in results)
    return MigrationRunStatus.PASSED if passed else MigrationRunStatus.FAILED


@flow(name="migration", flow_run_name=_run_name, log_prints=True)
def migrate(params: MigrateParams) -> MigrationOutcome | State:
    """Stage every entity (nothing loads if a gate blocks), then load in dependency order and reconcile. A run that
    did not pass (blocked, or failed reconciliation) ends Failed with its reason and still returns its outcome. Its
    task runs carry none of its tags (`untagged_tasks`)."""
    with untagged_tasks():
        return _migrate(params, str(runtime.flow_run.id))


def _migrate(params: MigrateParams, flow_run: str) -> MigrationOutcome | State:
    if params.undo is not None:
        reverted = undo_run(params.undo)
        create_markdown_artifact(f"# Undo of migration run {params.undo}\n\n" + "\n".join(
            f"- {entity}: {count} rows reverted" for entity, count in reverted.items()), key="migration-undo")
        return MigrationOutcome(run_id=params.undo, status=MigrationRunStatus.UNDONE, mode=MigrationMode.UNDO,
                                reverted=reverted,
                                flow_run_id=flow_run)
    request = RunRequest(mapping_path=params.mapping, dry_run=params.dry_run, resume=params.resume,
                         delta=params.delta, force=params.force, out_dir=params.out_dir)
    plan: RunPlan = plan_run(request, uuid.UUID(flow_run))
    if plan.replaced_flow_run is not None:
        mark_replaced_flow_run(plan, uuid.UUID(flow_run))
    progress: Any = create_progress_artifact(0.0, key="migration-progress", description=f"run {plan.run_id}")
    try:
        csv_path: str | None = None
        if plan.mode == MigrationMode.DRY_RUN:
            dry = dry_run_entities(plan)  # its quarantine is rolled back: it wrote the CSV before
            results, csv_path = dry.results, dry.quarantine_csv
            complete = len(results) == len(plan.order)
        else:
            results, complete = _load(plan, progress, params.dask_workers)
    except Exception as exc:
        finish_run(plan, MigrationRunStatus.FAILED, [], flow_run)  # resumable; the error itself reaches the caller
        exc.add_note(failure_hint(plan))
        raise
    status = _status(results, complete)
    finish_run(plan, status, results, flow_run)
    update_progress_artifact(progress, 100.0)  # the run is over, whatever its verdict
    if plan.mode != MigrationMode.DRY_RUN:
        csv_path = export_quarantine(plan.run_id, params.out_dir)
    publish(plan, status, results, csv_path)
    print(f"migration run {plan.run_id}: {status}")
    outcome = MigrationOutcome(run_id=plan.run_id, status=status, mode=plan.mode, entities=results,
                               quarantine_csv=csv_path, flow_run_id=flow_run)
    if status == MigrationRunStatus.PASSED:
        return outcome
    return Failed(message=f"migration run {plan.run_id} ({plan.mode}) {status}: {not_passed_reason(results)}",
                  data=outcome)


def not_passed_reason(results: list[EntityResult]) -> str:
    """What kept the run from passing: the gates that blocked it, else the entities that did not reconcile."""
    blocked = [f"{r.entity} blocked by {'; '.join(r.blocked_by)}" for r in results if r.blocked_by]
    if blocked:
        return "; ".join(blocked)
    unreconciled = [r.entity for r in results if not (r.reconciliation or {}).get("ok")]
    return ("reconciliation failed for " + ", ".join(unreconciled)) if unreconciled else "not every entity ran"


def failure_hint(plan: RunPlan) -> str:
    """What a user does about a failed run: its id, and how to resume or undo it."""
    if plan.mode == MigrationMode.DRY_RUN:
        return f"dry run {plan.run_id} failed; it changed nothing"
    return (f"migration run {plan.run_id} failed; resume it with `erpops migrate --mapping {plan.mapping_path} "
            f"--resume` or undo it with `erpops migrate --undo {plan.run_id}`")


def _stage(plan: RunPlan, progress: uuid.UUID | None, runner: Any | None,
           database: SecretStr) -> list[EntityResult]:
    """Every entity staged: one after another here (those that read one file, from one reading of it), or its
    batches on Dask workers, all entities at once but those that share a parent's rejects (they wait for its
    batches); then each entity's check here, in order."""
    if runner is None:  # entities that read one file, from one reading of it
        staged: list[EntityResult] = []
        for group in reading_groups(plan.mapping, plan.order):
            staged += stage_entities(plan, group, progress, len(staged))
        return staged
    futures: dict[str, Any] = {}
    for step, name in enumerate(plan.order):
        futures[name] = runner.submit(stage_batches, parameters={
            "plan": plan, "entity": name, "database": database, "progress_id": progress, "step": step},
            wait_for=[futures[parent] for parent in fated_parents(plan.mapping, name).values()])
    return [check_staged(plan, futures[name].result()) for name in plan.order]


def _load(plan: RunPlan, progress: uuid.UUID | None, dask_workers: int) -> tuple[list[EntityResult], bool]:
    runner = dask_runner(dask_workers)  # None: everything in this process
    database = SecretStr(database_url())  # Dask workers write where this run does (a rehearsal's copy, say)
    with nullcontext() if runner is None else runner:
        staged = _stage(plan, progress, runner, database)
        address = runner.client.scheduler.address if runner is not None else None
        docs = write_docs.submit(plan)  # evidence only: rendered in a thread while the entities load
        try:
            if any(r.blocked_by for r in staged):
                return staged, False  # a gate or orphans blocked: nothing of any entity is loaded
            loaded: list[EntityResult] = []
            for step, result in enumerate(staged, start=len(staged)):
                outcome = load_entity(plan, result, progress, step, dask_address=address, database=database)
                loaded.append(outcome)
                if outcome.blocked_by:  # a reference vanished from the ERP since staging
                    return loaded + staged[len(loaded):], False
            return loaded, True
        finally:
            docs.wait()  # the summary links the docs


def publish(plan: RunPlan, status: MigrationRunStatus, results: list[EntityResult], csv_path: str | None) -> None:
    """The PM's and the engineer's view of the run in the Prefect UI."""
    rows = [{"entity": r.entity, "target": r.target, "read": r.read, "loaded": r.loaded, "inserted": r.inserted,
             "updated": r.updated, "unchanged": r.unchanged, "quarantined": r.quarantined, "rejected": r.rejected,
             "quarantine_rate": round(r.quarantine_rate, 4), "reconciled": (r.reconciliation or {}).get("ok")}
            for r in results]
    create_table_artifact(rows, key="migration-entities", description=f"run {plan.run_id} ({plan.mode}): {status}")
    lines = [f"# Migration `{plan.mapping_name}` — {status}", "", f"- run: `{plan.run_id}` ({plan.mode})"]
    for r in results:
        lines.append(f"- **{r.entity}**: read {r.read}, inserted {r.inserted}, updated {r.updated}, unchanged "
                     f"{r.unchanged}, quarantined {r.quarantined}, rejected {r.rejected}"
                     + (f", skipped {r.skipped} (delta)" if r.skipped else ""))
        if r.seconds:
            lines.append("  - time: " + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in r.seconds.items()))
        if r.blocked_by:
            lines.append(f"  - **blocked**: {'; '.join(r.blocked_by)}")
        for reason, count in sorted(r.reasons.items(), key=lambda kv: -kv[1])[:8]:
            lines.append(f"  - {reason}: {count}")
        for difference in (r.reconciliation or {}).get("differences", [])[:10]:
            lines.append(f"  - ≠ {difference}")
    create_markdown_artifact("\n".join(lines), key="migration-summary", description=f"run {plan.run_id}")
    if csv_path:
        publish_link(Path(csv_path), link_text="quarantined rows (CSV)", key="migration-quarantine")
    docs = plan.docs_dir / "index.html"
    if docs.is_file():
        publish_link(docs, link_text="GX Data Docs of the gates", key="migration-data-docs", folder=True)
