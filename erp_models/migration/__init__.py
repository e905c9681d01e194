"""Migration area: bookkeeping of legacy-data migration runs."""

from erp_models.migration.models import (
    LegacyKeyMap,
    MigrationChange,
    MigrationCheckpoint,
    MigrationRun,
    QuarantinedRow,
)

__all__ = ["LegacyKeyMap", "MigrationChange", "MigrationCheckpoint", "MigrationRun", "QuarantinedRow"]
