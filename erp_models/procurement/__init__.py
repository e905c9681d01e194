"""Procurement area: purchase orders and goods receipts."""

from erp_models.procurement.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine

__all__ = ["GoodsReceipt", "GoodsReceiptLine", "PurchaseOrder", "PurchaseOrderLine"]
