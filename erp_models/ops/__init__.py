"""Operations on a running ERP: backups, incidents, and what cutover and recovery build on them."""

from erp_models.ops import models, monitor_samples

__all__ = ["models", "monitor_samples"]
