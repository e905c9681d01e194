"""Catalogue area: categories, products, SKUs and channel listings."""

from erp_models.catalogue.models import Category, ChannelListing, Product, Sku

__all__ = ["Category", "ChannelListing", "Product", "Sku"]
