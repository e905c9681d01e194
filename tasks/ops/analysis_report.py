"""The analysis as a reader sees it: CSV exports, the Markdown summary and the artifact tables (pure functions
and file writes; tasks.ops.analysis publishes them)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from erp_models.ops.analysis import SkuFigures
from erp_models.ops.analysis_data import ChannelDay
from erp_models.ops.analysis_service import BusinessAnalysis
from erp_models.ops.proposals import ReorderProposal
from erp_models.ops.reorder_drafts import DraftsOutcome

DRAFT_COLUMNS = ("number", "action", "supplier", "warehouse", "sku", "qty", "unit_cost", "currency")


def _columns(cls: type[Any]) -> list[str]:
    return [f.name for f in fields(cls)]


def money(minor: int) -> str:
    return f"{minor / 100:,.2f}"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def write_csvs(analysis: BusinessAnalysis, drafts: DraftsOutcome | None, run_dir: Path) -> list[Path]:
    """sales_by_channel_day.csv, skus.csv, reorder_proposals.csv (and draft_orders.csv) in `run_dir`."""
    run_dir.mkdir(parents=True, exist_ok=True)
    files = [
        _write(run_dir / "sales_by_channel_day.csv", _columns(ChannelDay),
               [asdict(r) for r in analysis.channel_days]),
        _write(run_dir / "skus.csv", _columns(SkuFigures),
               [asdict(f) | {"abc": f.abc.value} for f in analysis.figures]),
        _write(run_dir / "reorder_proposals.csv", [*_columns(ReorderProposal), "below_rop"],
               [asdict(p) | {"lead_time_source": p.lead_time_source.value, "below_rop": p.below_rop}
                for p in analysis.proposals]),
    ]
    if drafts is not None:
        files.append(_write(run_dir / "draft_orders.csv", DRAFT_COLUMNS, [
            {"number": d.number, "action": d.action, "supplier": d.supplier, "warehouse": d.warehouse, "sku": sku,
             "qty": qty, "unit_cost": cost, "currency": d.currency}
            for d in drafts.drafts for sku, qty, cost in (d.lines or [("", 0, 0)])]))
    return files


def _write(path: Path, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:  # the BOM makes Excel read Chinese names
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def summary_markdown(analysis: BusinessAnalysis, drafts: DraftsOutcome | None, charts: dict[str, str],
                     run_dir: Path) -> str:
    """The PM's page: the window, totals, ABC counts, top SKUs, proposals, drafts and the charts inline."""
    s = analysis.summary
    currency = "/".join(s.currencies) or "-"
    lines = [f"# Business analysis {s.first_day} to {s.last_day} ({s.days} days, {s.timezone})", "",
             "| figure | value |", "|---|---|",
             f"| orders (not cancelled) | {s.orders:,} |", f"| units | {s.units:,} |",
             f"| revenue ({currency}) | {money(s.revenue)} |", f"| paid less refunds | {money(s.paid)} |",
             f"| SKUs sold | {s.skus_sold:,} |",
             f"| ABC (A / B / C) | {s.abc['A']} / {s.abc['B']} / {s.abc['C']} |",
             f"| slow movers | {s.slow_movers} |", f"| SKUs below their reorder point | {s.skus_below_rop} |",
             f"| proposals to order (with a supplier) | {s.to_order} ({s.draftable}) |"]
    if drafts is not None:
        lines.append("| draft purchase orders | " + ", ".join(
            f"{drafts.count(a)} {a}" for a in ("created", "revised", "unchanged", "cancelled")) + " |")
    else:
        lines.append("| draft purchase orders | not written (--no-drafts) |")
    lines += ["", f"CSV exports: `{run_dir}`", ""]
    for title, uri in charts.items():
        lines += [f"![{title}]({uri})", ""]
    lines += ["## Top SKUs", "", "| # | SKU | product | units | revenue | ABC |", "|---|---|---|---|---|---|"]
    for n, f in enumerate([f for f in analysis.figures if f.revenue > 0][:len(s.top_skus)], start=1):
        lines.append(f"| {n} | {f.sku} | {f.name[:40]} | {f.units:,} | {money(f.revenue)} | {f.abc.value} |")
    return "\n".join(lines)


def proposal_rows(analysis: BusinessAnalysis, limit: int = 200) -> list[dict[str, Any]]:
    """The proposals with a quantity, biggest first by value (the table artifact; all of them are in the CSV)."""
    wanted = sorted((p for p in analysis.proposals if p.qty > 0),
                    key=lambda p: (-(p.qty * (p.unit_cost or 0)), -p.qty, p.sku))[:limit]
    return [{"sku": p.sku, "abc": p.abc, "d̄/day": _num(p.mean_daily, 2), "σ_d": _num(p.sd_daily, 2),
             "L days": f"{p.lead_time_days:.1f} ({p.lead_time_source.value})", "z": f"{p.z:.3f}",
             "ROP": _num(p.rop), "position": p.position, "max": "-" if p.rule_max is None else p.rule_max,
             "order": p.qty, "supplier": p.supplier or "-", "draft": p.no_draft_reason or "yes"} for p in wanted]


def sku_rows(analysis: BusinessAnalysis, limit: int = 200) -> list[dict[str, Any]]:
    return [{"sku": f.sku, "product": f.name[:40], "ABC": f.abc.value, "units": f.units, "revenue": money(f.revenue),
             "share %": _num(f.revenue_share * 100, 2), "return %": _num(None if f.return_rate is None else
                                                                         f.return_rate * 100),
             "sell-through %": _num(None if f.sell_through is None else f.sell_through * 100),
             "on hand": f.on_hand, "cover days": _num(f.cover_days), "slow": "yes" if f.slow_mover else ""}
            for f in analysis.figures[:limit]]
