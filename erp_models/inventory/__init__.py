"""Inventory area: warehouses, stock levels, the stock ledger and reorder rules."""

from erp_models.inventory.models import ReorderRule, StockLedgerEntry, StockLevel, Warehouse

__all__ = ["ReorderRule", "StockLedgerEntry", "StockLevel", "Warehouse"]
