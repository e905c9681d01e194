"""What a migration gate found in a batch: one outcome per expectation, the rows to quarantine, and how batches
add up. The gate itself is `expectations.gate.run_gate`, which the caller passes to the migration service."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["block", "warn"]  # a failed blocking expectation quarantines its rows; warn only reports

SAMPLE_SIZE = 10


@dataclass(frozen=True)
class ExpectationOutcome:
    name: str  # stable reason code, e.g. "sku_code_not_null"
    expectation: str  # the GX expectation type, e.g. "expect_column_values_to_not_be_null"
    column: str | None
    severity: Severity
    success: bool
    unexpected_count: int
    sample_keys: list[str]  # up to 10 legacy keys of failing rows

    def combined(self, other: ExpectationOutcome) -> ExpectationOutcome:
        """The same expectation over two batches: counts add up, it succeeds only if both did."""
        samples = [*self.sample_keys, *(k for k in other.sample_keys if k not in self.sample_keys)]
        return dataclasses.replace(
            self,
            severity="block" if "block" in (self.severity, other.severity) else "warn",
            success=self.success and other.success,
            unexpected_count=self.unexpected_count + other.unexpected_count,
            sample_keys=samples[:SAMPLE_SIZE],
        )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class GateResult:
    entity: str
    rows: int
    outcomes: list[ExpectationOutcome]
    failed_rows: dict[int, list[str]]  # index label -> blocking expectations the row failed (row-level only)

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == "block" and not o.success]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        """Failed expectations of severity warn: their rows are loaded, and reported."""
        return [o for o in self.outcomes if o.severity == "warn" and not o.success]

    def merge(self, other: GateResult) -> GateResult:
        """Two batches of one entity as one result; the caller keeps index labels distinct across batches."""
        if other.entity != self.entity:
            raise ValueError(f"cannot merge gate results of {self.entity} and {other.entity}")
        outcomes = {o.name: o for o in self.outcomes}
        for outcome in other.outcomes:
            mine = outcomes.get(outcome.name)
            outcomes[outcome.name] = outcome if mine is None else mine.combined(outcome)
        failed = {label: list(names) for label, names in self.failed_rows.items()}
        for label, names in other.failed_rows.items():
            known = failed.setdefault(label, [])
            known.extend(n for n in names if n not in known)
        return GateResult(self.entity, self.rows + other.rows, list(outcomes.values()), failed)

    def to_json(self, *, include_rows: bool = False) -> dict[str, Any]:
        """A summary in plain JSON types. Per-row reasons (``failed_rows``, keyed by the label as a string, since
        JSON keys are strings) only with ``include_rows``: for a large entity they belong in the quarantine."""
        document: dict[str, Any] = {
            "entity": self.entity,
            "rows": self.rows,
            "failed_row_count": len(self.failed_rows),
            "blocking_failures": [o.name for o in self.blocking_failures],
            "warnings": [o.name for o in self.warnings],
            "outcomes": [o.to_json() for o in self.outcomes],
        }
        if include_rows:
            document["failed_rows"] = {str(label): list(names) for label, names in self.failed_rows.items()}
        return document
