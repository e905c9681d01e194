"""The PM's status report as markdown and table rows: milestones with their criteria, risks, budget, vendors."""

from __future__ import annotations

from typing import Any

from tasks.plan.snapshot import PlanSnapshot

# Words, not emoji: an emoji renders as a box in a browser without an emoji font.
MARKS = {"passed": "passed", "approved": "approved", "awaiting_approval": "awaiting approval",
         "failed": "**FAILED**", "rejected": "**rejected**", "pending": "pending"}
MET = {"passed", "approved"}


def _yuan(minor: int) -> str:
    return f"¥{minor / 100:,.2f}"


def _value(value: float | None) -> str:
    return "no evidence" if value is None else f"{value:g}"


ATTENTION = ("failed", "rejected", "awaiting_approval")


def _criterion(c: dict[str, Any]) -> str:
    """One criterion with the value it saw and the run that recorded it, by the first 8 characters of its id (as
    `erpops evidence list` shows them in full), so the reason fits the table's column at 1280 px."""
    return (f"{'✔' if c['passed'] else '✘'} `{c['expression']}` → {_value(c.get('value'))}"
            + (f" (run `{str(c['run_id'])[:8]}`)" if c.get("run_id") else ""))


def milestones_markdown(snapshot: PlanSnapshot, gantt_uri: str | None = None) -> str:
    """Verdict first: what needs attention and why, then one row per milestone with its status and the reason
    (criteria that fail first) in the first columns, so a 1280 px window shows them; the timeline last."""
    met = sum(ms["status"] in MET for ms in snapshot.milestones)
    lines = [f"# Milestones — {snapshot.project_name}", "",
             f"{met} of {len(snapshot.milestones)} milestones met, as of {snapshot.today}.", ""]
    attention = [ms for ms in snapshot.milestones if ms["status"] in ATTENTION]
    if attention:
        lines += ["## Needs attention", ""]
        for ms in attention:
            failing = [_criterion(c) for c in ms["criteria"] if not c["passed"]]
            why = ("; ".join(failing) if failing else "every criterion holds: sign it off with the "
                   "`milestone-gates` flow (it pauses for it) or `erpops plan approve CODE --by NAME`")
            lines.append(f"- **{ms['code']}** {ms['name']}: {MARKS.get(ms['status'], ms['status'])}, {why}")
        lines.append("")
    lines += ["| milestone | status | why (failing criteria first) | due | owner | phase |",
              "|---|---|---|---|---|---|"]
    for ms in snapshot.milestones:
        ordered = sorted(ms["criteria"], key=lambda c: bool(c["passed"]))
        criteria = "<br>".join(_criterion(c) for c in ordered)
        status = MARKS.get(ms["status"], ms["status"])
        if ms.get("decided_by"):
            status += f" by {ms['decided_by']}" + (f": “{ms['decision_note']}”" if ms.get("decision_note") else "")
        lines.append(f"| **{ms['code']}** {ms['name']} | {status} | {criteria} | {ms['due_on']} | {ms['owner']} | "
                     f"{ms['phase']} |")
    if gantt_uri:
        lines += ["", f"![Milestone timeline]({gantt_uri})"]
    return "\n".join(lines)


def risk_rows(snapshot: PlanSnapshot) -> list[dict[str, Any]]:
    order = {"raised": 0, "open": 1, "mitigated": 2, "closed": 3}
    risks = sorted(snapshot.risks, key=lambda r: (order.get(r["status"], 9), -r["exposure"], r["code"]))
    return [{"risk": r["code"], "title": r["title"], "status": r["status"], "exposure": r["exposure"],
             "likelihood": r["likelihood"], "impact": r["impact"], "trigger": r["trigger"] or "",
             "owner": r["owner"], "mitigation": r["mitigation"]} for r in risks]


def vendor_rows(snapshot: PlanSnapshot) -> list[dict[str, Any]]:
    return [dict(v) for v in snapshot.vendors]


def budget_markdown(snapshot: PlanSnapshot, burn_uri: str | None = None) -> str:
    burn = snapshot.budget
    spent = sum(p.spent_minor for p in burn.phases)
    share = spent / burn.total_budget_minor if burn.total_budget_minor else 0.0
    lines = [f"# Budget — {snapshot.project_name}", "",
             f"Spent {_yuan(spent)} of {_yuan(burn.total_budget_minor)} ({share:.0%}), as of {snapshot.today}.", ""]
    if burn_uri:
        lines += [f"![Budget burn]({burn_uri})", ""]
    lines += ["| phase | budget | spent | remaining | used |", "|---|---:|---:|---:|---:|"]
    for p in burn.phases:
        used = p.spent_minor / p.budget_minor if p.budget_minor else 0.0
        flag = " **over budget**" if p.spent_minor > p.budget_minor else ""
        lines.append(f"| {p.phase_name} | {_yuan(p.budget_minor)} | {_yuan(p.spent_minor)} | "
                     f"{_yuan(p.budget_minor - p.spent_minor)} | {used:.0%}{flag} |")
    return "\n".join(lines)


def met_share(snapshot: PlanSnapshot) -> float:
    """Share of milestones met, 0–100, for the progress artifact."""
    if not snapshot.milestones:
        return 0.0
    return 100.0 * sum(ms["status"] in MET for ms in snapshot.milestones) / len(snapshot.milestones)
