"""GX Data Docs (static HTML) of each entity's suite validated on a sample batch, written into a given directory.

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

from expectations.offline_assets import localize_site
from expectations.runtime import batch_definition, build_expectation, gx_context, lock, with_all_columns
from expectations.spec import Severity
from expectations.suites import resolve_suite

logger = logging.getLogger(__name__)


def build_data_docs(results_dir: Path, entity: str, df_sample: pd.DataFrame, *, key_column: str = "legacy_key",
                    severity: Mapping[str, Severity] | None = None,
                    enabled: Collection[str] | None = None) -> Path | None:
    """Validate ``df_sample`` and write Data Docs at once; the index.html path. See `validate_sample`."""
    if not validate_sample(entity, df_sample, key_column=key_column, severity=severity, enabled=enabled):
        return None
    return write_data_docs(results_dir)


def validate_sample(entity: str, df_sample: pd.DataFrame, *, key_column: str = "legacy_key",
                    severity: Mapping[str, Severity] | None = None, enabled: Collection[str] | None = None) -> bool:
    """Validate ``df_sample`` (keep it small: a few thousand rows) into the context's results, for the Data
    Docs that `write_data_docs` renders later: rendering the site once per run, not once per entity, saves
    its cost for every entity but one. False when GX failed (logged)."""
    specs = resolve_suite(entity, severity=severity, enabled=enabled)  # a user error stays a ValueError
    try:
        context = gx_context()  # first: it imports GX with analytics off
        import great_expectations as gx

        expectations = [build_expectation(s, key_column, notes=f"reason code {s.name}, severity {s.severity}")
                        for s in specs]
        name = f"erpops.{entity}"
        with lock:
            suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
            definition = context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=name, data=batch_definition(), suite=suite))
            checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
                name=name, validation_definitions=[definition], result_format={"result_format": "SUMMARY"},
                actions=[]))
            ran = checkpoint.run(batch_parameters={"dataframe": with_all_columns(df_sample, specs, key_column, entity)})
            for key, result in ran.run_results.items():
                _judge_by_blocking_expectations(context, key, result)
    except Exception:  # docs must never fail a migration
        logger.warning("could not validate a data docs sample of %s", entity, exc_info=True)
        return False
    return True


def _judge_by_blocking_expectations(context: Any, key: Any, result: Any) -> None:
    """Re-store a validation result whose status reflects only its blocking (GX: critical) expectations.

    GX marks a result failed when any expectation fails, so a sample whose warn-severity checks fail would
    read "Failed" on a page about a gate that passed. The warnings stay visible, with their values, and counted
among the unsuccessful expectations."""
    from great_expectations.expectations.metadata_types import FailureSeverity

    passed = result.get_max_severity_failure() != FailureSeverity.CRITICAL
    if passed != result.success:
        result.success = passed
        context.validation_results_store.set(key, result)


def write_data_docs(results_dir: Path) -> Path | None:
    """Render every sample validated in this process as a Data Docs site in ``results_dir``, which loads nothing
    from the network; the index.html."""
    try:
        context = gx_context()
        results_dir.mkdir(parents=True, exist_ok=True)
        with lock:
            context.build_data_docs(site_names=[_site(context, results_dir.resolve())])
            localize_site(results_dir)  # GX links CDN assets: with no network its pages would render blank
    except Exception:  # docs must never fail a migration
        logger.warning("could not build data docs in %s", results_dir, exc_info=True)
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
