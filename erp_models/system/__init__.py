"""System state of the ERP itself: the write freeze a go-live cutover puts on the API."""

from erp_models.system import models

__all__ = ["models"]
