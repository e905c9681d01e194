"""`erpops ops analysis`: the business analysis once (sales, ABC, stock cover, slow movers) and its reorder
proposals as draft purchase orders. Exit 0 done, 2 bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def analysis(
    plan_file: Annotated[Path | None, typer.Option("--plan", metavar="FILE", help="A plan file whose "
                                                   "`operations.analysis` section applies (default: built-in).")]
    = None,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE", help="The window's last day, YYYY-MM-DD "
                                              "(default: the day of the latest order in the ERP).")] = None,
    days: Annotated[int | None, typer.Option("--days", min=1, max=730, metavar="N",
                                             help="Days of history (default: the plan's, 28).")] = None,
    no_drafts: Annotated[bool, typer.Option("--no-drafts", help="Propose only; write no draft purchase orders.")]
    = False,
    as_json: JsonOpt = False,
) -> None:
    """Analyse sales and stock, and draft purchase orders for the SKUs below their reorder point."""
    from rich.console import Console

    from erp_models.ops.analysis_spec import analysis_spec_of

    day = _date(as_of)
    analysis_spec_of(str(plan_file) if plan_file else None)  # a bad plan is one line, before the stack starts
    console = Console(stderr=True, quiet=as_json)
    from erpops.commands.runtime import outcome_of, stack_for_flows

    stack = stack_for_flows(console)
    from flows.analysis import AnalysisParams, run_analysis

    params = AnalysisParams(plan_file=str(plan_file.resolve()) if plan_file else None, as_of=day, days=days,
                            drafts=not no_drafts)
    state, outcome = run_analysis(params)
    outcome = outcome_of("analysis", state, outcome)
    if as_json:
        typer.echo(json.dumps(outcome.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    s = outcome.summary
    out = Console()
    out.print(f"analysis {s.first_day} to {s.last_day} ({s.days} days, {s.timezone}): {s.orders:,} orders, "
              f"{s.units:,} units, revenue {s.revenue / 100:,.2f} {'/'.join(s.currencies)}", soft_wrap=True)
    out.print(f"ABC: A {s.abc['A']}, B {s.abc['B']}, C {s.abc['C']}; slow movers {s.slow_movers}; "
              f"below their reorder point {s.skus_below_rop}; to order {s.to_order} ({s.draftable} with a supplier)")
    for n, (sku, name, units, revenue) in enumerate(s.top_skus[:5], start=1):
        out.print(f"  top {n}: {sku} {name} - {units:,} units, {revenue / 100:,.2f}", soft_wrap=True)
    if outcome.drafts is not None:
        for d in outcome.drafts:
            out.print(f"  draft {d.number} ({d.action}): {d.supplier} -> {d.warehouse}, {len(d.lines)} lines, "
                      f"{d.total / 100:,.2f} {d.currency}", soft_wrap=True)
    out.print(f"CSV: {outcome.run_dir}", soft_wrap=True)
    out.print(f"Prefect UI: {stack.ui_url}/runs/flow-run/{outcome.run_id}", soft_wrap=True)


def _date(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise typer.BadParameter(f"{raw!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None


