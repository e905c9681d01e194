"""GX Data Docs (static HTML) for one entity's suite validated on a sample batch, written into a given directory.

Docs are evidence for people, never part of the gate's verdict: any failure here is logged and gives None.
They use the gate's ephemeral context; each directory becomes a Data Docs site of it, and its index lists
every docs validation run in this process.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.runtime import batch_definition, build_expectation, gx_context, lock, with_all_columns
from expectations.spec import Severity
from expectations.suites import resolve_suite

logger = logging.getLogger(__name__)


def build_data_docs(results_dir: Path, entity: str, df_sample: pd.DataFrame, *, key_column: str = "legacy_key",
                    severity: Mapping[str, Severity] | None = None,
                    enabled: Collection[str] | None = None) -> Path | None:
    """Validate ``df_sample`` (keep it small: a few thousand rows) and write Data Docs; the index.html path."""
    specs = resolve_suite(entity, severity=severity, enabled=enabled)  # a user error stays a ValueError
    try:
        context = gx_context()  # first: it imports GX with analytics off
        import great_expectations as gx
        from great_expectations.checkpoint.actions import UpdateDataDocsAction

        results_dir.mkdir(parents=True, exist_ok=True)
        expectations = [build_expectation(s, key_column, notes=f"reason code {s.name}, severity {s.severity}")
                        for s in specs]
        name = f"erpops.{entity}"
        with lock:
            site = _site(context, results_dir.resolve())
            suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
            definition = context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=name, data=batch_definition(), suite=suite))
            checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
                name=name, validation_definitions=[definition], result_format={"result_format": "SUMMARY"},
                actions=[UpdateDataDocsAction(name="erpops_docs", site_names=[site])]))
            checkpoint.run(batch_parameters={"dataframe": with_all_columns(df_sample, specs, key_column, entity)})
    except Exception:  # docs must never fail a migration
        logger.warning("could not build data docs for %s in %s", entity, results_dir, exc_info=True)
        return None
    index = results_dir / "index.html"
    return index if index.is_file() else None


def _site(context: Any, directory: Path) -> str:
    """A Data Docs site writing into ``directory``, added to the context once."""
    site = "erpops_" + hashlib.sha1(str(directory).encode(), usedforsecurity=False).hexdigest()[:12]
    if site not in context.get_site_names():
        context.add_data_docs_site(site_name=site, site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)},
        })
    return site
