"""docs/migration-mapping.md names every target, field, transform and reason code, and its examples validate."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from erp_models.migration.mapping import KNOWN_TRANSFORMS, Mapping
from erp_models.migration.targets import TARGETS
from expectations.suites import expectation_names

DOC = Path(__file__).resolve().parents[2] / "docs" / "migration-mapping.md"


def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_target_field_and_transform_is_documented() -> None:
    text = doc()
    names = [*TARGETS, *KNOWN_TRANSFORMS, *(f.name for t in TARGETS.values() for f in t.fields)]
    assert [n for n in names if f"`{n}`" not in text] == [], "update docs/migration-mapping.md"


def test_every_expectation_name_is_documented() -> None:
    text = doc()
    missing = [n for t in TARGETS for n in expectation_names(t) if f"`{n}`" not in text]
    assert missing == [], "update the gate section of docs/migration-mapping.md"


def test_every_complete_mapping_example_validates() -> None:
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", doc(), flags=re.DOTALL) if b.startswith("name:")]
    assert blocks, "the doc should show at least one complete mapping"
    for block in blocks:
        Mapping.model_validate(yaml.safe_load(block))
