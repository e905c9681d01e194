"""Sales area: channels, sales orders, payments, shipments and returns."""

from erp_models.sales.models import (
    Channel,
    Payment,
    Return,
    ReturnLine,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)

__all__ = [
    "Channel",
    "Payment",
    "Return",
    "ReturnLine",
    "SalesOrder",
    "SalesOrderLine",
    "Shipment",
    "ShipmentLine",
]
