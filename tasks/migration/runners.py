"""Where a migration stages its entities: in the flow's own process, one after another (the default and the
demo), or on Dask workers through prefect-dask, the entities that do not wait for one another at once."""

from __future__ import annotations

import logging
from typing import Any

from infra.settings import get_settings


def staging_runner(dask_workers: int) -> Any | None:
    """A `DaskTaskRunner` on the scheduler ERPOPS_DASK_ADDRESS names, else on a local cluster of `dask_workers`
    single-threaded worker processes; None (stage in this process) when neither is asked for."""
    address = get_settings().dask_address
    if not address and dask_workers <= 0:
        return None
    from prefect_dask.task_runners import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": None, "silence_logs": logging.WARNING})
