"""The docs describe the code as it is."""

from __future__ import annotations

from pathlib import Path

from erp_models.schema_doc import render_schema_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_the_schema_reference_matches_the_models() -> None:
    committed = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert committed == render_schema_markdown(), "run `erpops db describe > docs/schema.md`"


def test_the_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\n./scripts/test\n" in readme
    assert ci.rstrip().splitlines()[-1] == "./scripts/test"


def test_the_api_guide_lists_every_endpoint_and_permission() -> None:
    from erp_models.security.permissions import PERMISSIONS
    from erpops.api.app import create_app

    guide = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    paths = create_app("postgresql+psycopg://unused@/unused?host=/nonexistent").openapi()["paths"]
    missing = [p for p in paths if f"`{p}`" not in guide] + [p for p in PERMISSIONS if f"`{p}`" not in guide]
    assert missing == [], "update docs/api.md"
