"""`erpops ops feedback-review`: one run of the feedback-review flow. Exit 0 no item past its SLA, 1 breaches, 2 bad
input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from erpops.commands.tables import print_table

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def feedback_review(plan: Annotated[Path | None, typer.Option("--plan", help="A plan file whose "
                                                              "`operations.feedback` section sets the SLA per "
                                                              "severity (default: 4 h, 24 h, 120 h).")] = None,
                    as_json: JsonOpt = False) -> None:
    """Age open feedback against its SLA, publish the backlog, breaches and trend, record evidence for M8; a breach
    opens the feedback.sla incident. Exit 0 no breach, 1 items past their SLA, 2 bad input."""
    from rich.console import Console

    from erp_models.project.spec import load_plan

    if plan is not None:  # a broken plan is one line, before anything starts (prefect is not imported yet)
        load_plan(plan)
    console = Console(stderr=True, quiet=as_json)
    from erpops.commands.runtime import outcome_of, stack_for_flows

    stack = stack_for_flows(console)
    from flows.feedback_review import FeedbackReviewParams, run_feedback_review

    state, review = run_feedback_review(FeedbackReviewParams(plan_file=str(plan.resolve()) if plan else None))
    review = outcome_of("feedback-review", state, review)
    if as_json:
        typer.echo(json.dumps(review.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        _print(review)
        Console().print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{review.run_id}", soft_wrap=True)
    if review.status.value != "passed":
        typer.echo(f"erpops: feedback review failed: {review.reason}", err=True)
        raise typer.Exit(1)


def _print(review: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from tasks.ops.feedback import FeedbackReview

    assert isinstance(review, FeedbackReview)
    table = Table("#", "severity", "status", "module", "owner", "age h", "SLA h", "SLA",
                  title="open feedback", title_justify="left")
    table.add_column("title", overflow="fold")
    for r in review.backlog:
        table.add_row(str(r.id), r.severity, r.status, r.module, r.owner or "-", f"{r.age_h:g}",
                      "-" if r.sla_h is None else f"{r.sla_h:g}", "[red]BREACHED[/red]" if r.breached else "ok",
                      r.title)
    out = Console(width=max(Console().width, 120))
    print_table(out, table)
    out.print(f"status: {review.status.value}; open {len(review.backlog)}, past SLA {len(review.breaches)}; "
              f"evidence " + ", ".join(f"{k}={v:g}" for k, v in sorted(review.evidence.items()))
              + (f"; incident {review.incident}" if review.incident else ""), soft_wrap=True)
