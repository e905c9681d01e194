"""`erpops loadtest run`: the load-test flow from the command line, with its verdict as the exit code."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from erpops.commands.tables import print_table

if TYPE_CHECKING:
    from rich.console import Console

    from flows.load_test import LoadTestOutcome

app = typer.Typer(help="Locust load tests against the ERP API, judged by thresholds and invariants.",
                  no_args_is_help=True)

EXIT_THRESHOLD, EXIT_INVARIANT = 1, 3


@app.command()
def run(
    profile: Annotated[str, typer.Option("--profile", help="smoke, load, stress or soak.")] = "smoke",
    users: Annotated[int | None, typer.Option("--users", min=1, help="Users (stress: of the top step).")] = None,
    duration: Annotated[float | None, typer.Option("--duration", min=1, metavar="S", help="Seconds of load.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Locust worker processes.")] = 1,
    remote_workers: Annotated[int, typer.Option("--remote-workers", min=0, max=256, metavar="N",
                                                help="Also wait for N workers from other hosts (`erpops loadtest "
                                                     "worker`).")] = 0,
    master_bind: Annotated[str, typer.Option("--master-bind", metavar="HOST",
                                             help="Address the Locust master listens on.")] = "127.0.0.1",
    master_port: Annotated[int | None, typer.Option("--master-port", min=1, max=65535, metavar="P",
                                                    help="The master's port (default 5557 with remote workers).")]
    = None,
    api_url: Annotated[str | None, typer.Option("--api-url", help="A running ERP API (default: start one).")] = None,
    plan: Annotated[str | None, typer.Option("--plan", metavar="FILE", help="Plan with a `loadtest:` section.")]
    = None,
    skus: Annotated[int, typer.Option("--skus", min=1, max=1000, help="SKUs the run sells (fewer: hotter rows).")]
    = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Prepare tagged data, run Locust against the ERP API, judge thresholds and invariants, record evidence.

    Exit 0 passed, 1 a threshold failed, 3 an invariant was violated, 2 bad input, 4 the run could not finish."""
    from rich.console import Console

    from infra.settings import get_settings
    from tasks.loadtest.models import RemoteWorkers
    from tasks.loadtest.profile import resolve_plan

    remote = RemoteWorkers(remote_workers=remote_workers, master_bind=master_bind, master_port=master_port)
    plan_ = resolve_plan(profile, plan_file=plan, users=users, duration_s=duration, workers=workers,  # fail fast
                         remote=remote)
    if api_url:
        from infra.api_process import wait_healthy

        wait_healthy(api_url.rstrip("/"), timeout_s=10)  # a wrong --api-url is one line, before any data is made
    console = Console(stderr=True, quiet=as_json)
    from erpops.commands.runtime import outcome_of, stack_for_flows

    stack = stack_for_flows(console)
    from erp_models.loadtest.profiles import ProfileName
    from flows.load_test import LoadTestParams, run_load_test

    params = LoadTestParams(profile=ProfileName(plan_.profile), users=users, duration_s=duration, workers=workers,
                            remote_workers=remote_workers, master_bind=master_bind, master_port=master_port,
                            api_url=api_url, plan_file=plan, sku_count=skus,
                            out_dir=str((get_settings().state_dir / "loadtests").resolve()))
    with _progress(console, f"load test {plan_.profile}: {plan_.users} users, {plan_.duration_s:g} s of load"):
        state, outcome = run_load_test(params)
    outcome = outcome_of("load-test", state, outcome)
    if as_json:
        typer.echo(json.dumps(document(outcome), indent=2, ensure_ascii=False))
    else:
        print_summary(console, outcome)
        console.print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{outcome.run_id}", soft_wrap=True)
    if outcome.status != "passed":
        typer.echo(f"erpops: load test {outcome.profile} failed: {outcome.reason}", err=True)
        raise typer.Exit(EXIT_INVARIANT if "invariants" in outcome.failed_on else EXIT_THRESHOLD)


def _progress(console: Console, what: str) -> Any:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                        transient=True, disable=not console.is_terminal)
    progress.add_task(what + " (data, API, Locust, invariants, evidence)", total=None)
    return progress


def document(outcome: LoadTestOutcome) -> dict[str, Any]:
    """The contract's JSON: run_id, profile, status, thresholds, invariants, endpoints, knee, report_html."""
    return {"run_id": outcome.run_id, "profile": outcome.profile, "status": outcome.status.value,
            "failed_on": [f.value for f in outcome.failed_on], "reason": outcome.reason, "tag": outcome.tag,
            "thresholds": [{"expr": t.expr, "endpoint": t.endpoint, "metric": t.metric, "value": t.value,
                            "limit": t.limit, "passed": t.passed, "reason": t.reason} for t in outcome.thresholds],
            "invariants": outcome.invariants,
            "endpoints": {name: fig.model_dump() for name, fig in outcome.endpoints.items()},
            "knee": outcome.knee.model_dump() if outcome.knee else None,
            "steps": [s.model_dump() for s in outcome.steps],
            "resources": {"rss_growth_mb": outcome.resources.rss_growth_mb,
                          "connection_growth": outcome.resources.connection_growth,
                          "max_connections": outcome.resources.max_connections,
                          "samples": [s.model_dump() for s in outcome.resources.samples]},
            "report_html": outcome.report_html, "run_dir": outcome.run_dir}


def print_summary(console: Console, outcome: LoadTestOutcome) -> None:
    from rich.table import Table

    table = Table(title=f"load test {outcome.profile}: {outcome.status.value}", title_justify="left")
    for column in ("endpoint", "requests", "failures", "p50 ms", "p95 ms", "p99 ms", "RPS"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for name, fig in outcome.endpoints.items():
        table.add_row(name, str(fig.requests), str(fig.failures), *(_n(v) for v in (fig.p50_ms, fig.p95_ms,
                                                                                    fig.p99_ms, fig.rps)))
    print_table(console, table)
    for t in outcome.thresholds:
        console.print(f"{'[green]✓[/]' if t.passed else '[red]✗[/]'} {t.expr}: {t.reason}", soft_wrap=True)
    if outcome.invariants["ok"]:
        console.print("[green]✓[/] invariants hold (" + ", ".join(f"{k} {v}" for k, v in
                                                               outcome.invariants["checked"].items()) + ")")
    for v in outcome.invariants["violations"]:
        console.print(f"[red]✗[/] invariant {v['check']}: {v['count']} × {v['description']}", soft_wrap=True)
    if outcome.knee:
        k = outcome.knee
        console.print(f"knee: {k.users} users, {k.rps:g} RPS, p95 {_n(k.p95_ms)} ms ({k.criterion})", soft_wrap=True)
    res = outcome.resources
    console.print(f"API: RSS growth {_n(res.rss_growth_mb)} MB, DB connections growth {_n(res.connection_growth)} "
                  f"(max {_n(res.max_connections)})")
    console.print(f"report: {outcome.report_html}", soft_wrap=True)


def _n(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


from erpops.commands.loadtest_worker import worker  # noqa: E402 (registered after `run`, listed second)

app.command()(worker)
