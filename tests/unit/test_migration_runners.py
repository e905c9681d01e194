"""Where a migration stages: in the flow's process unless Dask is asked for, on a local cluster of the size asked,
or on the cluster ERPOPS_DASK_ADDRESS names (no cluster starts here: a runner starts one when entered)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.settings import get_settings
from tasks.migration.runners import dask_runner


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ERPOPS_DASK_ADDRESS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_without_dask_workers_or_an_address_staging_stays_in_the_flow_process() -> None:
    assert dask_runner(0) is None


def test_dask_workers_ask_for_a_local_cluster_of_single_threaded_processes() -> None:
    runner = dask_runner(3)
    assert runner is not None and runner.address is None
    assert runner.cluster_kwargs["n_workers"] == 3
    assert runner.cluster_kwargs["threads_per_worker"] == 1 and runner.cluster_kwargs["processes"] is True


def test_an_address_points_at_that_cluster_whatever_the_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPOPS_DASK_ADDRESS", "tcp://10.0.0.9:8786")
    get_settings.cache_clear()
    for workers in (0, 2):
        runner = dask_runner(workers)
        assert runner is not None and runner.address == "tcp://10.0.0.9:8786"
