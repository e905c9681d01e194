"""Partners area: suppliers and customers."""

from erp_models.partners.models import Customer, Supplier

__all__ = ["Customer", "Supplier"]
