"""Sales area: channels, payment methods, sales orders, payments, shipments and returns."""

from erp_models.sales.models import (
    Channel,
    Payment,
    PaymentMethod,
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
    "PaymentMethod",
    "Return",
    "ReturnLine",
    "SalesOrder",
    "SalesOrderLine",
    "Shipment",
    "ShipmentLine",
]
