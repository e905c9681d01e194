"""GX Data Docs (static HTML) of the gate's own validations, written into a given directory.

The gate keeps one validation per entity and run for them (`keeper`: an entity's first batch, in GX's SUMMARY
format), so the docs show what the gate saw, at no second validation's cost. Docs are evidence for people,
never part of the gate's verdict: any failure here is logged and gives None. They use the gate's ephemeral
context; each directory becomes a Data Docs site of it, and a run's site lists that run's validations. The
process keeps the validations of its newest `KEPT_RUNS` runs only (a worker runs many; a dry run writes no
docs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.offline_assets import localize_site
from expectations.runtime import gx_context, lock
from expectations.spec import Severity

logger = logging.getLogger(__name__)
KEPT_RUNS = 16
# run name -> (GX key, result, suite), newest run last
_kept: OrderedDict[str, list[tuple[Any, Any, Any]]] = OrderedDict()


def build_data_docs(results_dir: Path, entity: str, df_sample: pd.DataFrame, *, key_column: str = "legacy_key",
                    severity: Mapping[str, Severity] | None = None,
                    enabled: Collection[str] | None = None) -> Path | None:
    """Gate ``df_sample`` and write the Data Docs of that validation at once; the index.html path. Unknown
    entities or reason codes raise ValueError, as the gate does."""
    from expectations.gate import run_gate  # the gate keeps its validation through `keeper`

    run_name = f"sample-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}"

    run_gate(df_sample, entity, key_column=key_column, severity=severity, enabled=enabled,
             docs_run=run_name)
    return write_data_docs(results_dir, run_name)


def keeper(run_name: str, suite: Any) -> Callable[[Any, str], None]:
    """What keeps a gate's first-pass result (of batch ``batch_id``) for the docs of run ``run_name``, with
    ``suite`` (the entity's whole suite) beside it for its own page. Only kept in memory: storing them in the
    context (serialising the suite) is left to `write_data_docs`, off the gate's path."""

    def keep(result: Any, batch_id: str) -> None:
        try:
            from great_expectations.core.run_identifier import RunIdentifier
            from great_expectations.data_context.types.resource_identifiers import (
                ExpectationSuiteIdentifier,
                ValidationResultIdentifier,
            )

            run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
            result.meta["run_id"] = run_id
            _judge_by_blocking_expectations(result)
            key = ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
                                             run_id=run_id, batch_identifier=batch_id)
            with lock:
                _kept.setdefault(run_name, []).append((key, result, suite))
                _kept.move_to_end(run_name)
                while len(_kept) > KEPT_RUNS:
                    _kept.popitem(last=False)
        except Exception:  # docs must never fail a migration
            logger.warning("could not keep the validation of %s for the data docs", suite.name, exc_info=True)

    return keep


def _judge_by_blocking_expectations(result: Any) -> None:
    """A validation result whose status reflects only its blocking (GX: critical) expectations.

    GX marks a result failed when any expectation fails, so a batch whose warn-severity checks fail would read
    "Failed" on a page about a gate that passed. The warnings stay visible, with their values, and counted
    among the unsuccessful expectations."""
    from great_expectations.expectations.metadata_types import FailureSeverity

    result.success = result.get_max_severity_failure() != FailureSeverity.CRITICAL


def write_data_docs(results_dir: Path, run_name: str) -> Path | None:
    """Render the validations kept for run ``run_name`` as a Data Docs site in ``results_dir``, which loads
    nothing from the network; the index.html, or None when nothing is kept for that run."""
    try:
        context = gx_context()
        with lock:
            kept = list(_kept.get(run_name, ()))
            if not kept:
                return None
            results_dir.mkdir(parents=True, exist_ok=True)
            store = context.validation_results_store
            for key in store.list_keys():  # the site lists this run's validations only
                store.remove_key(key)
            for suite in {id(suite): suite for _, _, suite in kept}.values():
                context.suites.add_or_update(suite)
            for key, result, _ in kept:
                store.set(key, result)
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
