"""Migration area: bookkeeping of legacy-data migration runs."""

from erp_models.migration.models import LegacyKeyMap, MigrationCheckpoint, MigrationRun, QuarantinedRow

__all__ = ["LegacyKeyMap", "MigrationCheckpoint", "MigrationRun", "QuarantinedRow"]
