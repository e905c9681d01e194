"""The quarantine of a run: rows set aside with a reason and a detail that shows the offending value and the
check it failed, their counts per reason, and the CSV the migration engineer reads.

A summary row (a reason without a source row: exact repeats, repeated keys) carries its row count first in
`detail` ("3 rows: K1, K2"), which `erp_models.migration.quarantined.set_aside_counts` adds up.
"""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from erp_models.migration.gate_result import ExpectationOutcome, GateResult
from erp_models.migration.mapping import Entity
from erp_models.migration.quarantined import quarantined_rows
from erp_models.migration.targets import TARGETS
from erp_models.migration.transform import Batch, apply_transform

KEYS_LISTED = 10  # of a summary row's repeated keys, how many its detail names


def _shown(value: Any) -> str:
    if value is None or (not isinstance(value, (list, dict)) and bool(pd.isna(value))):
        return "empty"
    text_value = str(value)
    return repr(text_value if len(text_value) <= 80 else text_value[:77] + "...")


def _step_name(spec: str | dict[str, Any]) -> str:
    if isinstance(spec, str):
        return spec
    name, arg = next(iter(spec.items()))
    return f"{name} {arg!r}"


def transform_detail(entity: Entity, field: str, raw: pd.Series) -> str:
    """Which value of a `bad_<field>` row failed, and at which transform (replayed on that one value)."""
    column = entity.columns.get(field)
    if column is None or column.from_ is None:
        return f"{field}: its value could not be computed"
    value = raw.get(column.from_)
    values = pd.Series([value], dtype="object")
    if column.default is not None and value is None:
        values = pd.Series([column.default], dtype="object")
    for spec in column.transforms:
        values, bad = apply_transform(values, spec)
        if bad is not None and bool(bad.fillna(False).any()):
            return f"{column.from_}={_shown(value)}: transform {_step_name(spec)} failed"
    kind = TARGETS[entity.target].field(field).kind
    return f"{column.from_}={_shown(value)}: not a {kind}"


def _gate_detail(outcome: ExpectationOutcome | None, name: str, frame: pd.DataFrame, label: int) -> str:
    if outcome is None or outcome.column is None or outcome.column not in frame.columns:
        return f"gate {name}"
    return f"gate {name} ({outcome.expectation}): {outcome.column}={_shown(frame.loc[label, outcome.column])}"


def quarantine_rows(batch: Batch, reasons: dict[int, list[str]], entity: Entity, gate: GateResult | None,
                    file: str) -> list[dict[str, Any]]:
    """Rows a transform or the gate set aside: reason = the first failure, detail = each failure's value."""
    outcomes = {o.name: o for o in gate.outcomes} if gate is not None else {}
    keys = batch.frame["legacy_key"]
    rows = []
    for label, codes in reasons.items():
        source = batch.raw.loc[label]
        details = [transform_detail(entity, code[4:], source) if code.startswith("bad_") and code not in outcomes
                   else _gate_detail(outcomes.get(code), code, batch.frame, label) for code in codes]
        raw = source.drop(labels=["_line"]).where(source.notna(), None).to_dict()
        rows.append({"legacy_key": str(keys.get(label)) if label in keys.index else None, "reason_code": codes[0],
                     "detail": "; ".join(details), "raw": json.loads(json.dumps(raw, default=str)),
                     "source_file": file, "source_row": int(source["_line"])})
    return rows


def summary_row(reason: str, count: int, file: str | None, keys: list[str] | None = None) -> dict[str, Any]:
    """One row for `count` rows dropped for `reason` (repeats), naming some of their keys when known."""
    named = f": {', '.join(keys[:KEYS_LISTED])}" + (", ..." if len(keys) > KEYS_LISTED else "") if keys else ""
    return {"legacy_key": None, "reason_code": reason, "detail": f"{count} rows{named}", "raw": {},
            "source_file": file, "source_row": None}


def orphan_rows(orphans: list[dict[str, Any]], duplicates: int = 0,
                duplicate_keys: list[str] | None = None) -> list[dict[str, Any]]:
    """Rows taken out of staging (orphans, natural-key repeats), and a summary row for repeated keys."""
    rows = []
    for o in orphans:
        raw = {k: v for k, v in o["raw"].items() if not k.startswith("_")}
        reason = str(o["reason"])
        if o.get("detail"):
            detail = str(o["detail"])
        elif reason.startswith("orphan_"):
            ref = reason.removeprefix("orphan_")
            detail = f"{ref}={_shown(raw.get(ref))}: no such record in the ERP or this run"
        else:
            detail = f"{reason}: an earlier row has the same natural key"
        rows.append({"legacy_key": o["legacy_key"], "reason_code": reason, "detail": detail, "raw": raw,
                     "source_file": None, "source_row": o["_line"]})
    if duplicates:
        rows.append(summary_row("duplicate_key", duplicates, None, duplicate_keys))
    return rows


def write_quarantine_csv(session: Session, run_id: uuid.UUID, out_dir: str) -> str | None:
    rows = quarantined_rows(session, run_id)
    if not rows:
        return None
    path = Path(out_dir) / f"quarantine-{run_id}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["entity", "reason", "legacy_key", "file", "row", "detail", "raw"])
        for row in rows:
            writer.writerow([*row[:6], json.dumps(row[6], ensure_ascii=False)])
    return str(path)


def gate_from_json(document: dict[str, Any]) -> GateResult:
    """A batch's gate result as its checkpoint stored it (`GateResult.to_json(include_rows=True)`)."""
    outcomes = [ExpectationOutcome(**o) for o in document["outcomes"]]
    failed = {int(label): list(names) for label, names in document.get("failed_rows", {}).items()}
    return GateResult(document["entity"], int(document["rows"]), outcomes, failed)
