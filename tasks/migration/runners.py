"""Where a migration's batches run: in the flow's own process (the default and the demo), or on Dask workers
through prefect-dask: every entity's staging batches at once (but those that wait for a parent's), and each
entity's upsert batches."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any

from pydantic import SecretStr

from infra.settings import get_settings
from infra.stack import using_database


def dask_runner(dask_workers: int) -> Any | None:
    """A `DaskTaskRunner` on the scheduler ERPOPS_DASK_ADDRESS names, else on a local cluster of `dask_workers`
    single-threaded worker processes; None (everything in this process) when neither is asked for."""
    address = get_settings().dask_address
    if not address and dask_workers <= 0:
        return None
    from prefect_dask.task_runners import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": None, "silence_logs": logging.WARNING})


@contextmanager
def batch_pool(dask_address: str | None, database: SecretStr | None) -> Iterator[Executor | None]:
    """The Dask cluster at `dask_address` as an executor of an entity's load batches, each run there against
    `database` (the run's own); None without an address (the batches load in the task's own threads)."""
    if dask_address is None or database is None:
        yield None
        return
    from distributed import Client

    with Client(dask_address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        yield InDatabase(client.get_executor(pure=False), database)


class InDatabase(Executor):
    """An executor whose calls run inside `using_database(database)` wherever the executor runs them."""

    def __init__(self, executor: Executor, database: SecretStr) -> None:
        self.executor, self.database = executor, database

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.executor.submit(_in_database, self.database, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.executor.shutdown(wait=wait, cancel_futures=cancel_futures)


def _in_database(database: SecretStr, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with using_database(database.get_secret_value()):
        return fn(*args, **kwargs)
