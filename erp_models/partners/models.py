"""Partners: the suppliers we buy from and the customers we sell to."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, String, true
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, Code, CreatedAt, IntPK, Name


class Supplier(Base):
    __tablename__ = "suppliers"
    __table_args__ = (CheckConstraint("payment_terms_days >= 0", name="payment_terms_nonnegative"),)

    id: Mapped[IntPK]
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    contact_name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    province: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(500))
    payment_terms_days: Mapped[int] = mapped_column(default=30, server_default="30")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[IntPK]
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    province: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(500))
    country: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[CreatedAt]
