"""Milestone gate criteria: `<evidence key> <operator> <number>` expressions, parsed and judged on evidence.

The grammar is one comparison, so a regular expression parses it; an expression library (or `eval`)
would accept far more than a plan should hold and give worse error messages.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "==": math.isclose, "!=": lambda a, b: not math.isclose(a, b),
    "<": operator.lt, ">": operator.gt,
}
_EXPRESSION = re.compile(
    r"^\s*(?P<key>[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)

# The evidence keys that flows and commands record; a criterion over any other key could never pass.
EVIDENCE_KEYS: dict[str, str] = {
    r"migration\.run\.passed": "1 when the newest real migration run passed",
    r"migration\.[a-z0-9_]+\.(quarantine_rate|read|loaded|reconciled)": "per migrated entity",
    r"tests\.[a-z0-9_]+\.(pass_rate|passed|failed|errors|skipped|total|duration_s)": "a test suite run",
    r"loadtest\.(smoke|load|stress|soak)\.[a-z0-9_]+\.(p50_ms|p95_ms|p99_ms|avg_ms|max_ms|rps|fail_ratio|requests)":
        "per endpoint, from the load-test flow's newest run of that profile",
    r"loadtest\.(smoke|load|stress|soak)\.(fail_ratio|rps|requests|invariants_ok|passed|knee_rps|knee_users)":
        "per profile (all endpoints), from the load-test flow's newest run of that profile",
    r"cutover\.(rehearsal|run)\.(passed|duration_s)": "the newest cutover rehearsal or live run (the cutover flow)",
    r"cutover\.rehearsals\.passed": "how many cutover rehearsals have passed",
    r"cutover\.rollback\.(duration_s|within_rto)": "the newest rollback or rehearsal rollback drill: its time (RTO)",
    r"cutover\.go_no_go\.approved": "1 when the newest cutover's go/no-go was signed off as go",
    r"training\.(attendance_rate|sessions|attendees)": "training sessions and attendance",
    r"feedback\.(open_critical|open_major|open_total|resolved)": "trial-run feedback",
    r"feedback\.sla_breaches": "open feedback items past their severity's SLA (the feedback-review flow)",
    r"budget\.(burn_ratio|spent|overrun_phases)": "budget spend against the plan",
    r"vendors\.(ranked|top_score)": "the vendor evaluation",
    r"requirements\.coverage": "share of required modules that the ERP provides",
    r"manual\.roles": "roles with a generated operation manual (erpops manual --evidence, the demo)",
    r"analysis\.(skus_below_rop|slow_movers|proposals)": "the newest business analysis (the analysis flow)",
    r"ops\.restore_drill\.(ok|rto_s|rpo_s)": "the newest restore drill: passed, restore seconds, newest backup's age",
    r"ops\.schema_upgrade\.(ok|duration_s)": "the newest schema upgrade through the flow: passed, seconds",
}
_KNOWN = re.compile("|".join(f"(?:{pattern})" for pattern in EVIDENCE_KEYS))


class CriterionError(ValueError):
    """A criterion that cannot be parsed or refers to evidence nothing records."""


@dataclass(frozen=True)
class Criterion:
    expression: str
    key: str
    op: str
    threshold: float

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)


@dataclass(frozen=True)
class Provenance:
    """Where a judged value came from: the run that recorded it (a migration run's id), if any, and when."""

    run_id: str | None
    recorded_at: str  # ISO 8601


@dataclass(frozen=True)
class CriterionVerdict:
    """One criterion judged: the evidence value it saw (None when nothing was recorded) and the outcome."""

    expression: str
    key: str
    value: float | None
    passed: bool
    run_id: str | None = None
    recorded_at: str | None = None


def parse_criterion(expression: str) -> Criterion:
    """The parsed criterion, or CriterionError saying what is wrong with it."""
    match = _EXPRESSION.match(expression)
    if match is None:
        raise CriterionError(
            f"cannot parse {expression!r}: write `<evidence key> <op> <number>` with op one of "
            f"{', '.join(OPERATORS)}, e.g. 'tests.integration.pass_rate == 1.0'")
    key = match["key"]
    if not is_known_key(key):
        raise CriterionError(f"unknown evidence key {key!r} in {expression!r}; known keys: "
                             + ", ".join(p.replace("\\", "") for p in EVIDENCE_KEYS))
    return Criterion(expression=expression.strip(), key=key, op=match["op"], threshold=float(match["value"]))


def is_known_key(key: str) -> bool:
    return _KNOWN.fullmatch(key) is not None


def judge(criterion: Criterion, evidence: Mapping[str, float],
          provenance: Mapping[str, Provenance] | None = None) -> CriterionVerdict:
    """Missing evidence never passes: a gate opens on measurements, not on silence."""
    value = evidence.get(criterion.key)
    passed = value is not None and criterion.holds(value)
    source = (provenance or {}).get(criterion.key) if value is not None else None
    return CriterionVerdict(expression=criterion.expression, key=criterion.key, value=value, passed=passed,
                            run_id=source.run_id if source else None,
                            recorded_at=source.recorded_at if source else None)
