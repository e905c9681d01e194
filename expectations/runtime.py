"""The process's one ephemeral GX context, suites built once, and a batch validated into failing row positions.

GX is imported here, lazily: ``import great_expectations`` takes seconds and the CLI must start fast.
Validation holds a lock because every batch goes through one shared pandas execution engine, whose
"active batch" is process state; concurrent validations from task threads would read each other's data.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from expectations.spec import ExpectationSpec

# GX reports failing rows by index label. Validating on a fresh RangeIndex makes them positions, which map
# back to any index. ``unexpected_index_column_names`` would do the same but GX 1.24 builds it row by row,
# normalising column names for each: 7 s instead of 0.2 s for 100k failing rows.
RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False}
# Most batches fail nothing: a first pass only asks whether each expectation holds (no unexpected lists), and
# the failed expectations alone run again in COMPLETE format to name their rows.
COUNT_FORMAT = {"result_format": "BOOLEAN_ONLY"}
# A first pass kept for the Data Docs (an entity's first batch in a run) also carries counts and sample values.
DOCS_FORMAT = {"result_format": "SUMMARY"}

logger = logging.getLogger(__name__)
lock = threading.RLock()  # held while GX runs: see the module docstring
_started: tuple[Any, Any] | None = None  # (context, batch definition), built once per process


@dataclass(frozen=True)
class Check:
    """What one expectation found in one batch. ``positions`` are 0-based positions of failing rows."""

    name: str
    success: bool
    unexpected_count: int
    positions: list[int]


def gx_context() -> Any:
    """The cached ephemeral context, with analytics and progress bars off."""
    return _runtime()[0]


def batch_definition() -> Any:
    return _runtime()[1]


def warm_up() -> None:
    """Start the context in a background thread, for a process that is about to gate: importing GX takes
    seconds of CPU, which then fill the time the caller spends waiting on servers (the stack, the flow run's
    start). A gate or docs call waits for it under ``lock``; if starting fails, their own call fails as
    it would have."""
    threading.Thread(target=_try_runtime, name="gx-warm-up", daemon=True).start()


def _try_runtime() -> None:
    try:
        _runtime()
    except Exception:  # the gate's own call raises it
        logger.debug("starting GX in the background failed", exc_info=True)


def _runtime() -> tuple[Any, Any]:
    global _started
    with lock:
        if _started is None:
            _started = _start()
        return _started


def _defer_scipy_stats() -> None:
    """Make `scipy.stats` load on its first use instead of when GX is imported: GX imports it (0.7 s of the 2 s
    its import takes here) only for expectations the suites do not use (KL divergence, the KS tests), each of
    which still loads it when it runs (`importlib.util.LazyLoader`)."""
    import importlib.util
    import sys

    if "scipy.stats" in sys.modules or importlib.util.find_spec("scipy") is None:
        return
    import scipy  # type: ignore[import-untyped]

    spec = importlib.util.find_spec("scipy.stats")
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["scipy.stats"] = module
    loader.exec_module(module)
    scipy.stats = module  # `from scipy import stats` finds it here, untouched (scipy's own lookup would load it)


def _start() -> tuple[Any, Any]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    _defer_scipy_stats()
    with warnings.catch_warnings():  # GX 1.24 imports the deprecated sre_constants and sre_parse
        warnings.simplefilter("ignore", DeprecationWarning)
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )
    config = DataContextConfig(  # no default docs site: docs.py adds one per directory it writes to
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    # GX fingerprints every pandas batch (hashes all its rows) only to name it in the result's batch markers; the
    # gate validates each batch once, in memory, and names it by entity and run, so that hashing is skipped.
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0
    _build_configurations_once()
    context = gx.get_context(mode="ephemeral", project_config=config)
    asset = context.data_sources.add_pandas("erpops_gate").add_dataframe_asset("batch")
    return context, asset.add_batch_definition_whole_dataframe("whole")


_validating = threading.local()  # .built: id -> (expectation, its configuration), while this thread validates


def _build_configurations_once() -> None:
    """While a validation runs, each expectation's `configuration` is built once instead of at every read.

    GX 1.24 builds an expectation's configuration afresh (`.dict()` of the pydantic model, then a new
    `ExpectationConfiguration`) every time it reads one of its kwargs: about 40 times per expectation per
    validation, half the time of validating a batch. Within one `validate` (under `lock`, in one thread) the
    expectations do not change, so the first build is kept until the validation ends (`_configurations_kept`).
    Outside it, and in other threads, every read builds it as GX does."""
    from great_expectations.expectations.expectation import Expectation

    build: Callable[[Any], Any] = vars(Expectation)["configuration"].fget

    def configuration(self: Any) -> Any:
        built = getattr(_validating, "built", None)
        if built is None:
            return build(self)
        found = built.get(id(self))
        if found is None or found[0] is not self:  # holding the expectation keeps its id from being reused
            found = built[id(self)] = (self, build(self))
        return found[1]

    Expectation.configuration = property(configuration)  # type: ignore[method-assign,assignment]


@contextlib.contextmanager
def _configurations_kept() -> Iterator[None]:
    _validating.built = {}
    try:
        yield
    finally:
        _validating.built = None


def build_expectation(spec: ExpectationSpec, key_column: str) -> Any:
    """The ``gx.expectations`` object for a spec; ``meta.erpops_name`` carries the reason code into results,
    and GX's own severity says whether a failure blocks (critical) or only warns (warning)."""
    _runtime()  # GX is first imported there, with analytics off
    import great_expectations.expectations as gxe

    kind = getattr(gxe, spec.class_name)
    return kind(**spec.gx_kwargs(key_column), meta={"erpops_name": spec.name},
                notes=f"reason code {spec.name}, severity {spec.severity}",
                severity="warning" if spec.severity == "warn" else "critical")


@functools.lru_cache(maxsize=256)
def build_suite(entity: str, specs: tuple[ExpectationSpec, ...], key_column: str) -> Any:
    """A standalone ExpectationSuite, cached: suites are not added to the context, so nothing accumulates."""
    _runtime()
    import great_expectations as gx

    return gx.ExpectationSuite(name=f"erpops.{entity}", expectations=[build_expectation(s, key_column) for s in specs])


def validate(df: pd.DataFrame, entity: str, specs: tuple[ExpectationSpec, ...], key_column: str, *,
             keep: Callable[[Any, str], None] | None = None) -> dict[str, Check]:
    """Run the specs over a non-empty batch and return each check by reason code. ``keep`` receives the first
    pass's GX result (in SUMMARY format) and the batch's id, for the Data Docs."""
    frame = numpy_numbers(with_all_columns(df.reset_index(drop=True), specs, key_column, entity))
    with lock, _configurations_kept():
        batch = batch_definition().get_batch(batch_parameters={"dataframe": frame})
        counted = batch.validate(build_suite(entity, specs, key_column),
                                 result_format=COUNT_FORMAT if keep is None else DOCS_FORMAT)
        if keep is not None:
            keep(counted, batch.id)
        checks = {check.name: check for check in (_check(r, len(df), entity, counted=True) for r in counted.results)}
        failed = tuple(s for s in specs if not checks[s.name].success)
        if failed:
            complete = batch.validate(build_suite(entity, failed, key_column), result_format=RESULT_FORMAT)
            checks |= {check.name: check for check in (_check(r, len(df), entity) for r in complete.results)}
    return checks


def numpy_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable integer columns as numpy ones (int64, or float64 with NaN for the nulls), for GX only.

    GX compares numpy numbers vectorised but calls a Python function per value for pandas' nullable
    Int64; the sign and the bounds of these values survive the cast exactly, which is all the suites ask."""
    nullable = [c for c in frame.columns if isinstance(frame[c].dtype, pd.Int64Dtype)]
    if not nullable:
        return frame
    return frame.assign(**{c: frame[c].to_numpy(dtype="float64", na_value=np.nan) if frame[c].hasnans
                           else frame[c].to_numpy(dtype="int64") for c in nullable})


def with_all_columns(frame: pd.DataFrame, specs: tuple[ExpectationSpec, ...], key_column: str,
                      entity: str) -> pd.DataFrame:
    """Absent columns are validated as all-null: required ones fail ``*_not_null``, optional ones pass."""
    needed = dict.fromkeys(c for s in specs for c in s.columns_in(key_column))
    missing = [c for c in needed if c not in frame.columns]
    if not missing:
        return frame
    logger.warning("%s batch has no column(s) %s; validating them as null", entity, ", ".join(missing))
    return frame.assign(**{c: pd.Series(None, index=frame.index, dtype=object) for c in missing})


def _check(result: Any, rows: int, entity: str, *, counted: bool = False) -> Check:
    """``counted``: a first-pass result without row positions; a failure there is looked at again."""
    name = str(result.expectation_config.meta["erpops_name"])
    error = _error_message(result.exception_info)
    if error is not None:
        if counted:
            return Check(name, False, rows, [])
        # Fail closed: a check that could not run (e.g. text in a number column) clears no row.
        logger.error("expectation %s on %s could not run: %s", name, entity, error)
        return Check(name, False, rows, list(range(rows)))
    found = result.result or {}
    if counted:
        return Check(name, bool(result.success), int(found.get("unexpected_count") or 0), [])
    positions = [int(position) for position in found.get("unexpected_index_list") or ()]
    count = int(found.get("unexpected_count") or len(positions))
    return Check(name, bool(result.success), count, positions)


def _error_message(info: Any) -> str | None:
    """GX puts ``{raised_exception, exception_message}`` either at the top or under each failed metric's id."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = [str(e.get("exception_message") or "unknown error") for e in entries if e.get("raised_exception")]
    return "; ".join(messages) or None
