"""The run as QA reads it in the Prefect UI: endpoints, thresholds with their verdicts, invariants, resources and,
for a stress run, the chart of throughput and p95 against users with the knee marked."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact

from erp_models.loadtest.invariants import InvariantReport
from tasks.charts.stress import StepPoint, render_stress
from tasks.charts.style import png_data_uri
from tasks.loadtest.models import LoadPlan, LoadRunFiles
from tasks.loadtest.verdict import Judgement
from tasks.report_links import publish_link


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def report_markdown(plan: LoadPlan, files: LoadRunFiles, judgement: Judgement, invariants: InvariantReport, *,
                    passed: bool, reason: str | None, chart: Path | None) -> str:
    head = "passed" if passed else f"**FAILED**: {reason}"
    lines = [f"# Load test `{plan.profile}`: {head}", "",
             f"- {plan.users} users (spawn rate {plan.spawn_rate:g}/s), {judgement.duration_s:g} s of load, "
             f"{plan.workers} Locust worker{'s' if plan.workers > 1 else ''}; profile from {plan.source}",
             f"- mix: {', '.join(f'{k} {w}' for k, w in plan.weights.items() if w)}",
             f"- API: {files.api_url} ({'started by this run' if files.api_started else 'given'})",
             f"- Locust report: `{files.report_html}`"
             + (f"; aborted: {judgement.aborted}" if judgement.aborted else ""),
             "", "## Endpoints", "", "| endpoint | requests | failures | p50 ms | p95 ms | p99 ms | RPS |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    for name, fig in judgement.endpoints.items():
        label = f"**{name}**" if name == "total" else name
        lines.append(f"| {label} | {fig.requests} | {fig.failures} | {_ms(fig.p50_ms)} | {_ms(fig.p95_ms)} | "
                     f"{_ms(fig.p99_ms)} | {fig.rps:g} |")
    lines += ["", "## Thresholds", ""]
    if judgement.steps:
        lines += ["Over the whole run, for information: a step load passes when it has a knee (see Steps).", ""]
    lines += ["| threshold | value | limit | verdict |", "|---|--:|--:|---|"]
    for t in judgement.thresholds:
        verdict = "pass" if t.passed else "**FAIL**"
        lines.append(f"| `{t.expr}` | {_ms(t.value)} | {_ms(t.limit)} | {verdict}: {t.reason} |")
    if not judgement.thresholds:
        lines.append("| (none) | | | |")
    lines += ["", "## Invariants (read from the database after the load)", ""]
    checked = ", ".join(f"{k} {v}" for k, v in invariants.checked.items())
    lines.append(f"- {'all hold' if invariants.ok else '**violated**'} ({checked})")
    for v in invariants.violations:
        lines.append(f"- **{v.check}** violated ({v.count}): {v.description}")
        lines += [f"  - `{sample}`" for sample in v.samples]
    res = files.resources
    lines += ["", "## API resources", "",
              f"- RSS growth: {_ms(res.rss_growth_mb)} MB; database connections: growth {_ms(res.connection_growth)},"
              f" at most {_ms(res.max_connections)} ({len(res.samples)} samples every {res.every_s:g} s)"]
    if judgement.steps:
        lines += ["", "## Steps", "", "| step | users | RPS | p95 ms | thresholds |", "|--:|--:|--:|--:|---|"]
        lines += [f"| {s.index} | {s.users} | {s.rps:g} | {_ms(s.p95_ms)} | {'pass' if s.passed else '**FAIL**'} |"
                  for s in judgement.steps]
        knee = judgement.knee
        unbroken = " (no step broke a threshold: the knee lies at or above it)" if all(
            s.passed for s in judgement.steps) else ""
        lines += ["", f"**Knee**: {knee.users} users, {knee.rps:g} RPS, p95 {_ms(knee.p95_ms)} ms "
                      f"(criterion: {knee.criterion}){unbroken}" if knee
                  else "**Knee**: none, the first step broke a threshold"]
        if chart is not None:
            lines += ["", f"![RPS and p95 against users]({png_data_uri(chart)})"]
    return "\n".join(lines)


@task
def publish_report(plan: LoadPlan, files: LoadRunFiles, judgement: Judgement, invariants: InvariantReport,
                   passed: bool, reason: str | None) -> str:
    """The markdown artifact (key `load-test-<profile>`) and a link to Locust's HTML report; returns the markdown."""
    chart = None
    if judgement.steps:
        chart = render_stress([StepPoint(s.users, s.rps, s.p95_ms, s.passed) for s in judgement.steps],
                              knee_users=judgement.knee.users if judgement.knee else None,
                              criterion=judgement.knee.criterion if judgement.knee else "the profile's thresholds",
                              out=Path(files.run_dir) / "stress.png")
    markdown = report_markdown(plan, files, judgement, invariants, passed=passed, reason=reason, chart=chart)
    (Path(files.run_dir) / "summary.md").write_text(markdown, encoding="utf-8")
    create_markdown_artifact(markdown, key=f"load-test-{plan.profile}",
                             description=f"load test {plan.profile}: {'passed' if passed else 'failed'}")
    if Path(files.report_html).is_file():
        publish_link(Path(files.report_html), link_text="Locust HTML report", key=f"load-test-{plan.profile}-report")
    return markdown
