"""The migration gate: validate one batch against its entity's suite and say which rows to quarantine, and why.

Blocking expectations quarantine the rows they fail (``failed_rows``); warn expectations only report.
Whether an entity is blocked is decided by the caller from merged results, not here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import pandas as pd

from erp_models.migration.gate_result import SAMPLE_SIZE, ExpectationOutcome, GateResult
from expectations.docs import keeper
from expectations.runtime import Check, build_suite, validate
from expectations.spec import ExpectationSpec, Severity
from expectations.suites import expectation_names, resolve_suite

__all__ = ["ExpectationOutcome", "GateResult", "MigrationGate", "Severity", "run_gate"]


def run_gate(df: pd.DataFrame, entity: str, *, key_column: str = "legacy_key",
             severity: Mapping[str, Severity] | None = None, enabled: Collection[str] | None = None,
             docs_run: str | None = None) -> GateResult:
    """Validate a batch of transformed rows of ``entity``.

    ``severity`` overrides default severities by reason code; ``enabled`` limits the run to those codes.
    ``docs_run`` keeps this validation for the Data Docs of that run (`expectations.docs`).
    Unknown entities or codes raise ValueError with a one-line message.
    """
    specs = resolve_suite(entity, severity=severity, enabled=enabled)
    if len(df) == 0 or not specs:
        return GateResult(entity, len(df), [_outcome(s, key_column, None, []) for s in specs], {})
    if key_column not in df.columns:
        raise ValueError(f"the {entity} batch has no key column {key_column!r}")
    keep = None if docs_run is None else keeper(docs_run, build_suite(entity, specs, key_column))
    checks = validate(df, entity, specs, key_column, keep=keep)
    keys = df[key_column]
    outcomes = [_outcome(s, key_column, checks[s.name], _sample_keys(keys, checks[s.name])) for s in specs]
    failing: dict[int, list[str]] = {}
    for spec in specs:
        if spec.severity == "block":
            for position in checks[spec.name].positions:
                failing.setdefault(position, []).append(spec.name)
    labels = df.index
    failed_rows = {_plain(labels[position]): names for position, names in sorted(failing.items())}
    return GateResult(entity, len(df), outcomes, failed_rows)


def _outcome(spec: ExpectationSpec, key_column: str, check: Check | None, samples: list[str]) -> ExpectationOutcome:
    return ExpectationOutcome(
        name=spec.name,
        expectation=spec.expectation,
        column=spec.column_in(key_column),
        severity=spec.severity,
        success=True if check is None else check.success,
        unexpected_count=0 if check is None else check.unexpected_count,
        sample_keys=samples,
    )


def _sample_keys(keys: pd.Series, check: Check) -> list[str]:
    """Legacy keys of the first failing rows; a row without a key is named by its index label."""
    samples = []
    for position in check.positions[:SAMPLE_SIZE]:
        key = keys.iloc[position]
        samples.append(f"<row {_plain(keys.index[position])}>" if pd.isna(key) else str(key))
    return samples


def _plain(label: Any) -> Any:
    """Index labels as Python values (numpy scalars are not JSON-serialisable)."""
    return label.item() if hasattr(label, "item") else label


class MigrationGate:
    """The migration service's gate (`erp_models.migration.service.pipeline.Gate`): a target's GX suite, less the
    expectations the mapping disables."""

    def __call__(self, frame: pd.DataFrame, target: str, *, severity: dict[str, Severity], disable: list[str],
                 docs_run: str | None) -> GateResult:
        enabled = None if not disable else [n for n in expectation_names(target) if n not in disable]
        return run_gate(frame, target, severity=severity, enabled=enabled, docs_run=docs_run)

    def check(self, target: str, *, severity: dict[str, Severity], disable: list[str]) -> None:
        """ValueError, in one line, for an expectation the suite does not have or a severity it cannot take."""
        unknown = [n for n in disable if n not in expectation_names(target)]
        if unknown:
            raise ValueError(f"unknown expectation {unknown[0]!r} for {target}")
        resolve_suite(target, severity=severity)
