"""Catalogue: categories, products, their SKUs and how each SKU is listed on a sales channel."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erp_models.base import Base, Code, Currency, IntPK, Money, Name


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (CheckConstraint("parent_id <> id", name="not_own_parent"),)

    id: Mapped[IntPK]
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]

    parent: Mapped[Category | None] = relationship(
        remote_side="Category.id", back_populates="children", lazy="raise"
    )
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", lazy="raise", passive_deletes="all"
    )


class Product(Base):
    __tablename__ = "products"

    id: Mapped[IntPK]
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    brand: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    # SKUs are master data referenced by orders: deleting a product never deletes them.
    skus: Mapped[list[Sku]] = relationship(
        back_populates="product", lazy="raise", passive_deletes="all", order_by="Sku.code"
    )


class Sku(Base):
    __tablename__ = "skus"
    __table_args__ = (
        CheckConstraint("weight_g >= 0", name="weight_nonnegative"),
        CheckConstraint("list_price >= 0", name="list_price_nonnegative"),
    )

    id: Mapped[IntPK]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    code: Mapped[Code] = mapped_column(unique=True)
    barcode: Mapped[str | None] = mapped_column(String(32), unique=True)
    spec: Mapped[str | None] = mapped_column(String(200))  # e.g. 颜色:黑色;尺码:XL
    weight_g: Mapped[int] = mapped_column(default=0, server_default="0")
    list_price: Mapped[Money]
    currency: Mapped[Currency]
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    product: Mapped[Product] = relationship(back_populates="skus", lazy="raise")


class ChannelListing(Base):
    __tablename__ = "channel_listings"
    __table_args__ = (
        UniqueConstraint("channel_id", "channel_sku"),
        CheckConstraint("price >= 0", name="price_nonnegative"),
    )

    id: Mapped[IntPK]
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="RESTRICT"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"), index=True)
    channel_sku: Mapped[str] = mapped_column(String(128))
    # NULL price: the channel sells at the SKU's list price.
    price: Mapped[Money | None]
    currency: Mapped[Currency]
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
