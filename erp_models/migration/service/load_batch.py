"""One staged batch of an entity upserted into the ERP: the unit of phase 2 that threads or Dask workers run."""

from __future__ import annotations

import uuid

from erp_models.enums import CheckpointPhase
from erp_models.migration import loader, runs, staging
from erp_models.migration.targets import TARGETS
from erp_models.uow import UnitsOfWork


def load_batch(run_id: uuid.UUID, name: str, target_name: str, mapped: frozenset[str], units: UnitsOfWork,
               batch_no: int) -> loader.Upserted:
    """One staged batch upserted in its own unit of work with its checkpoint; a batch whose checkpoint is there
    already (a retry of a worker that died after committing it) is counted as it was done."""
    target = TARGETS[target_name]
    table = staging.staging_table(run_id, name)
    with units() as uow:
        done = runs.done_batches(uow.session, run_id=run_id, entity=name, phase=CheckpointPhase.LOADED).get(batch_no)
        if done is not None:
            inserted, updated = done["inserted"], done["updated"]
            return loader.Upserted(inserted, updated, done["loaded"] - inserted - updated)
        result = loader.upsert_batch(uow.session, table=table, target=target, entity=name, run_id=run_id,
                                     batch_no=batch_no, mapped=set(mapped))
        runs.checkpoint(uow.session, run_id=run_id, entity=name, phase=CheckpointPhase.LOADED, batch_no=batch_no,
                        loaded=result.loaded, inserted=result.inserted, updated=result.updated)
        uow.commit()
    return result
