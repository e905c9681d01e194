"""The mapping file: YAML that says where legacy rows come from and how they become ERP records.

Validated with pydantic; every problem is reported as one line naming the file and the entity.
See docs/migration-mapping.md for the format.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from erp_models.migration.relational import (
    Aggregate,
    Lookup,
    check_date,
    check_default_reference,
    referenced_target,
)
from erp_models.migration.sources import Source, Strict
from erp_models.migration.targets import TARGETS
from erp_models.yaml_files import load_yaml_model

KNOWN_TRANSFORMS = ("trim", "squeeze", "upper", "lower", "title", "regex_extract", "replace", "null_if", "value_map",
                    "int", "decimal", "date", "abs")
NEEDS_ARGUMENT = {"regex_extract", "replace", "null_if", "value_map"}


class MappingError(ValueError):
    """A mapping file that cannot be used; the message is one line."""


def _check_argument(name: str, arg: Any) -> None:
    """Arguments that would only fail while the data streams are refused when the mapping loads."""
    if name in ("decimal", "date") and arg is not None and not isinstance(arg, dict):
        raise ValueError(f"{name}: the argument is a mapping, e.g. {{formats: ['%Y-%m-%d']}} or {{scale: 2}}")
    if name == "decimal" and arg is not None and not isinstance(arg.get("scale", 2), int):
        raise ValueError("decimal: scale must be a whole number")
    if name == "date" and arg is not None and not isinstance(arg.get("formats", []), list):
        raise ValueError("date: formats must be a list such as ['%Y-%m-%d %H:%M:%S']")
    if name == "date" and arg is not None:
        check_date(arg)
    if name == "replace" and not (isinstance(arg, dict) and "pattern" in arg):
        raise ValueError("replace: the argument is {pattern: ..., with: ...}")
    if name == "regex_extract":
        pattern = arg if isinstance(arg, str) else arg.get("pattern") if isinstance(arg, dict) else None
        try:
            groups = re.compile(str(pattern)).groups
        except re.error as exc:
            raise ValueError(f"regex_extract: {pattern!r} is not a valid pattern ({exc})") from None
        if pattern is None or groups < 1:
            raise ValueError("regex_extract: the pattern needs a capture group, e.g. '(1[3-9][0-9]{9})'")


class RunningTotal(Strict):
    """Σ quantity × price over the rows so far with the same `within` key; the key's last row holds the total."""

    within: list[str]
    quantity: str
    price: str
    absolute: bool = Field(default=False, description="Add absolute values (credit notes carry negative ones).")


class Column(Strict):
    """How one target field is filled: from a source column, a constant, a template, a row counter or a total."""

    from_: str | None = Field(default=None, alias="from")
    value: str | None = None
    template: str | None = Field(default=None, description="e.g. '{InvoiceNo}-{StockCode}'")
    sequence_within: list[str] | None = Field(default=None, description="1, 2, 3 ... per value of these columns")
    running_total: RunningTotal | None = None
    lookup: Lookup | None = None
    aggregate: Aggregate | None = None
    transforms: list[str | dict[str, Any]] = Field(default_factory=list)
    default: str | None = None
    default_reference: dict[str, str] | None = Field(
        default=None, description="For a reference by code: the record an empty value names, e.g. "
                                  "{code: MISC, name: Miscellaneous}; the first entity of that target creates it.")

    @field_validator("transforms")
    @classmethod
    def _known_transforms(cls, steps: list[str | dict[str, Any]]) -> list[str | dict[str, Any]]:
        for step in steps:
            if isinstance(step, dict) and len(step) != 1:
                raise ValueError(f"a transform step is a name or a one-key mapping, not {step!r}")
            name = step if isinstance(step, str) else next(iter(step))
            if name not in KNOWN_TRANSFORMS:
                raise ValueError(f"unknown transform {name!r} (transforms: {', '.join(KNOWN_TRANSFORMS)})")
            arg = None if isinstance(step, str) else step[name]
            if name in NEEDS_ARGUMENT and arg is None:
                raise ValueError(f"transform {name!r} needs an argument")
            _check_argument(name, arg)
        return steps

    @model_validator(mode="after")
    def _one_origin(self) -> Column:
        origins = [o for o in (self.from_, self.value, self.template, self.sequence_within, self.running_total,
                               self.lookup, self.aggregate) if o is not None]
        if len(origins) != 1:
            raise ValueError("a column takes exactly one of `from`, `value`, `template`, `sequence_within`, "
                             "`running_total`, `lookup`, `aggregate`")
        related = self.lookup or self.aggregate
        if related is not None and related.missing == "default" and self.default is None:
            raise ValueError("missing: default needs the column's `default`")
        return self

    @property
    def related(self) -> Lookup | Aggregate | None:
        return self.lookup or self.aggregate


class Dedupe(Strict):
    """Exact duplicates are dropped while streaming; then one row per legacy key is kept, the first or the last."""

    exact: bool = Field(default=True, description="Drop rows identical in every source column.")
    keep: Literal["first", "last"] = "first"


class RejectRule(Strict):
    """Rows a mapping leaves out on purpose: counted as rejected, under `reason`, never quarantined."""

    column: str
    in_: list[str] | None = Field(default=None, alias="in")
    matches: str | None = None
    empty: bool = False
    reason: str = Field(pattern=r"^rejected_[a-z0-9_]{1,40}$", description="e.g. rejected_non_product")


class Gate(Strict):
    severity: dict[str, Literal["block", "warn"]] = Field(default_factory=dict)
    disable: list[str] = Field(default_factory=list)
    max_quarantine_rate: float = Field(default=0.0, ge=0, le=1)


class Entity(Strict):
    target: str
    source: Source
    legacy_key: str = Field(description="A template over source columns and fields, e.g. '{InvoiceNo}'.")
    columns: dict[str, Column]
    dedupe: Dedupe = Field(default_factory=Dedupe)
    reject: list[RejectRule] = Field(default_factory=list)
    predecessors: list[str] = Field(default_factory=list)
    watermark: str | Column | None = Field(
        default=None, description="A source column whose values only grow, or {from: column, transforms: [...]} "
                                  "to say how its values compare (e.g. [int], or a date with its formats).")
    gate: Gate = Field(default_factory=Gate)

    @field_validator("target")
    @classmethod
    def _known_target(cls, value: str) -> str:
        if value not in TARGETS:
            raise ValueError(f"unknown target {value!r} (targets: {', '.join(sorted(TARGETS))})")
        return value

    @property
    def watermark_column(self) -> str | None:
        return self.watermark.from_ if isinstance(self.watermark, Column) else self.watermark

    @model_validator(mode="after")
    def _known_columns(self) -> Entity:
        if isinstance(self.watermark, Column) and self.watermark.from_ is None:
            raise ValueError("watermark: name its source column with `from`, "
                             "e.g. {from: updated_at, transforms: [int]}")
        target = TARGETS[self.target]
        unknown = sorted(set(self.columns) - set(target.field_names()))
        if unknown:
            raise ValueError(f"unknown column {unknown[0]!r} for target {self.target} "
                             f"(columns: {', '.join(target.field_names())})")
        missing = [f.name for f in target.fields if f.required and f.name not in self.columns]
        if missing:
            raise ValueError(f"target {self.target} needs column {missing[0]!r}")
        for name, column in self.columns.items():
            if column.default_reference is not None:
                check_default_reference(self.target, name, column.default_reference)
        return self


class Mapping(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    batch_size: int = Field(default=100_000, ge=1, le=1_000_000)
    sources: dict[str, Source] = Field(default_factory=dict, description="Files that lookups and aggregates "
                                                                         "read, by name (not loaded themselves).")
    entities: dict[str, Entity]

    def check_relations(self) -> None:
        """Lookups and aggregates name a known source; a default reference has an entity to create it."""
        for name, entity in self.entities.items():
            for field, column in entity.columns.items():
                where = f"entities.{name}.columns.{field}"
                related = column.related
                if related is not None and related.source not in self.sources and related.source not in self.entities:
                    raise MappingError(f"{where}: source {related.source!r} is neither under `sources` nor an entity "
                                       f"(sources: {', '.join([*self.sources, *self.entities])})")
                other = referenced_target(entity.target, field) if column.default_reference else None
                if other is not None and not any(e.target == other for e in self.entities.values()):
                    raise MappingError(f"{where}.default_reference: no entity of target {other} in the mapping "
                                       f"to create it")

    def source_of(self, name: str) -> Source:
        """A named source, or an entity's source."""
        return self.sources[name] if name in self.sources else self.entities[name].source


def entity_order(mapping: Mapping) -> list[str]:
    """Entities in dependency order (declared predecessors and references), stable otherwise."""
    table_of = {name: TARGETS[e.target].table for name, e in mapping.entities.items()}
    needs: dict[str, list[str]] = {}
    for name, entity in mapping.entities.items():
        deps = list(entity.predecessors)
        for ref in TARGETS[entity.target].refs:
            if ref.field in entity.columns:
                deps += [ref.entity] if ref.by == "legacy" and ref.entity else \
                    [other for other, table in table_of.items() if table == ref.table and other != name]
        unknown = [d for d in deps if d not in mapping.entities]
        if unknown:
            raise MappingError(f"entity {name!r} depends on unknown entity {unknown[0]!r}")
        needs[name] = list(dict.fromkeys(deps))
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            cycle = visiting[visiting.index(name):] + [name]
            raise MappingError(f"predecessors form a cycle: {' -> '.join(cycle)}")
        visiting.append(name)
        for dep in needs[name]:
            visit(dep)
        visiting.pop()
        order.append(name)

    for name in mapping.entities:
        visit(name)
    return order


def fingerprints(mapping: Mapping) -> dict[str, str]:
    """A hash of each entity's rules, and of the rest of the mapping under `(mapping)`: what a resumed run compares
    with the run it continues, to name what changed. Equal rules give equal hashes, however the file is laid out."""
    def digest(model: Any) -> str:
        return hashlib.sha256(json.dumps(model, sort_keys=True, default=str).encode()).hexdigest()[:16]

    rest = mapping.model_dump(mode="json", exclude={"entities"})
    entities = {name: digest(entity.model_dump(mode="json")) for name, entity in mapping.entities.items()}
    return {"(mapping)": digest(rest)} | entities


def changes_between(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What differs between two mappings' `fingerprints`, in words."""
    said = []
    for name in sorted(before.keys() | after.keys()):
        if name not in after:
            said.append(f"entity {name} removed")
        elif name not in before:
            said.append(f"entity {name} added")
        elif before[name] != after[name]:
            said.append("its settings (batch size, sources) changed" if name == "(mapping)"
                        else f"entity {name} changed")
    return said


def load_mapping(path: Path) -> tuple[Mapping, str]:
    """The validated mapping and the sha256 of its text; MappingError names the file and the problem."""
    mapping, sha256 = load_yaml_model(path, Mapping, MappingError, "mapping file")
    try:
        entity_order(mapping)
        mapping.check_relations()
    except MappingError as exc:
        raise MappingError(f"{path}: {exc}") from None
    return mapping, sha256
