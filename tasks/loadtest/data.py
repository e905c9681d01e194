"""The run's data in the ERP: prepared before the load, retired after it (each task its own unit of work)."""

from __future__ import annotations

from prefect import task
from pydantic import BaseModel

from erp_models.loadtest.prep import DEFAULT_SKUS, cleanup, new_tag, prepare
from infra.db import UnitOfWork
from tasks.loadtest.models import FixtureData


class CleanupSummary(BaseModel):
    tag: str
    tokens_revoked: int
    deactivated: dict[str, int]
    kept: list[str]


@task
def prepare_data(sku_count: int = DEFAULT_SKUS) -> FixtureData:
    """A warehouse, SKUs stocked through the ledger, a supplier and a token per user kind, under a new tag."""
    with UnitOfWork() as uow:
        fixture = prepare(uow.session, tag=new_tag(), sku_count=sku_count)
        uow.commit()
    return FixtureData.model_validate(fixture.to_json())


@task
def cleanup_data(tag: str) -> CleanupSummary:
    """Revoke the run's tokens and deactivate its master data; its history stays, recognisable by the tag."""
    with UnitOfWork() as uow:
        done = cleanup(uow.session, tag=tag)
        uow.commit()
    return CleanupSummary(tag=tag, tokens_revoked=done.tokens_revoked, kept=done.kept,
                          deactivated={"users": done.users_deactivated, "skus": done.skus_deactivated,
                                       "warehouses": done.warehouses_deactivated,
                                       "suppliers": done.suppliers_deactivated})
