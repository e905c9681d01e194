"""`erpops test run`: pytest suites as the `test-suites` flow; their pass rates become evidence for gates."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.status import Status

    from flows.test_suites import SuitesOutcome
    from tasks.suites.run import SuiteOutcome

app = typer.Typer(help="The test phase: run pytest suites as a flow; their pass rates become evidence.",
                  no_args_is_help=True)


@app.command("run")
def run(
    suites: Annotated[list[str] | None, typer.Option(
        "--suite", "-s", metavar="SUITE",
        help="unit, integration, e2e or a suite the plan names; repeat for several (default: unit, integration)")]
    = None,
    plan: Annotated[Path | None, typer.Option("--plan", help="A plan file whose test_suites section names suites.")]
    = None,
    timeout: Annotated[int | None, typer.Option("--timeout", metavar="SECONDS", min=1,
                                                help="Stop each suite after this long (default: its own).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Run the suites one after another (pytest in a subprocess), record tests.<suite>.* evidence and publish the
    failures in the Prefect UI. Exits 1 when a suite failed."""
    from rich.console import Console

    from erp_models.project.suites import SuiteStatus
    from erpops.commands.runtime import stack_for_flows
    from infra.settings import get_settings
    from tasks.suites.choose import resolve_suites

    plan_file = str(plan.resolve()) if plan else None
    specs = resolve_suites(list(suites or []), plan_file, timeout)  # a bad name fails in one line, before the stack
    console = Console(stderr=True, quiet=as_json)
    stack = stack_for_flows(console)
    from prefect import tags

    from flows.test_suites import SuitesOutcome, SuitesParams, run_test_suites

    run_id = uuid.uuid4()
    runs_dir = get_settings().state_dir.resolve() / "test-runs"
    params = SuitesParams(suites=[s.name for s in specs], plan_file=plan_file, timeout_s=timeout, run_id=run_id,
                          runs_dir=str(runs_dir))
    with tags("phase:test"), console.status(f"running {', '.join(params.suites)}") as status:
        watcher = _watch(status, runs_dir / str(run_id), params.suites)
        try:
            state = run_test_suites(params, return_state=True)
        finally:
            watcher.set()
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, BaseException):
        raise outcome  # the flow crashed (not a failed suite): its own error, one line if it is a user's
    if not isinstance(outcome, SuitesOutcome):
        raise TypeError(f"the test-suites flow returned {type(outcome).__name__}, not its outcome")
    console.print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{outcome.flow_run_id}", soft_wrap=True)
    if as_json:
        typer.echo(json.dumps(document(outcome), indent=2, ensure_ascii=False))
    else:
        from erpops.commands.suites_view import print_outcome

        print_outcome(outcome)
    if outcome.status != SuiteStatus.PASSED:
        failed = [f"{s.name}: {s.reason}{first_failures(s)}" for s in outcome.suites
                  if s.status != SuiteStatus.PASSED]
        typer.echo(f"erpops: test-suites run {outcome.run_id} failed: {'; '.join(failed)}", err=True)
        raise typer.Exit(1)


def first_failures(suite: SuiteOutcome, shown: int = 3) -> str:
    """The first failed tests' ids, so that the one-line error says which tests to look at."""
    ids = [f.test_id for f in suite.failures]
    if not ids:
        return ""
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return f" ({', '.join(ids[:shown])}{more})"


def document(outcome: SuitesOutcome) -> dict[str, Any]:
    """The `--json` document: the run, its verdict, and per suite the counts, the report and the failures."""
    fields = ("name", "status", "reason", "passed", "failed", "errors", "skipped", "total", "pass_rate", "duration_s",
              "exit_code", "junit_xml", "log", "failures")
    return {"run_id": str(outcome.run_id), "status": outcome.status.value,
            "suites": [s.model_dump(mode="json", include=set(fields)) for s in outcome.suites],
            "run_dir": outcome.run_dir, "flow_run_id": outcome.flow_run_id}


def _watch(status: Status, run_dir: Path, names: list[str]) -> threading.Event:
    """Show the suite that is running and the last line pytest printed, until the returned event is set."""
    from rich.markup import escape

    from tasks.suites.run import last_line

    done = threading.Event()

    def follow() -> None:
        while not done.wait(0.5):
            running = [n for n in names if (run_dir / f"{n}.log").exists()]
            if running:
                line = last_line(run_dir / f"{running[-1]}.log")
                status.update(escape(f"suite {running[-1]} ({len(running)} of {len(names)}): {line[:100]}"))

    threading.Thread(target=follow, name="test-suites-progress", daemon=True).start()
    return done
