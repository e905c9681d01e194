"""Sales: channels, channel orders with their lines, payments, shipments and returns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erp_models.base import Base, CreatedAt, Currency, IntPK, Money, Name
from erp_models.enums import OrderOrigin, PaymentKind, ReturnDisposition, SalesOrderStatus, checked_enum


class Channel(Base):
    """A sales channel (a marketplace, our web shop): reference data an admin can add to, not an enum."""

    __tablename__ = "channels"
    __table_args__ = (CheckConstraint("btrim(code) <> ''", name="code_not_blank"),)

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[Name]


class PaymentMethod(Base):
    """A way to pay (Alipay, WeChat Pay, a marketplace's wallet): reference data, like channels."""

    __tablename__ = "payment_methods"
    __table_args__ = (CheckConstraint("btrim(code) <> ''", name="code_not_blank"),)

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[Name]


class SalesOrder(Base):
    __tablename__ = "sales_orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id"),
        CheckConstraint("total >= 0", name="total_nonnegative"),
        CheckConstraint("freight >= 0", name="freight_nonnegative"),
    )

    id: Mapped[IntPK]
    # channel_id is covered by the unique constraint's index.
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="RESTRICT"))
    external_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[SalesOrderStatus] = mapped_column(
        checked_enum(SalesOrderStatus, "status"),
        default=SalesOrderStatus.PLACED,
        server_default=SalesOrderStatus.PLACED.value,
        index=True,
    )
    currency: Mapped[Currency]
    # For orders the ERP places, total = Σ(qty × unit_price) + freight (`erpops db check` holds it to that).
    total: Mapped[Money] = mapped_column(default=0, server_default="0")
    freight: Mapped[Money] = mapped_column(default=0, server_default="0")
    origin: Mapped[OrderOrigin] = mapped_column(
        checked_enum(OrderOrigin, "origin"), default=OrderOrigin.ERP, server_default=OrderOrigin.ERP.value
    )
    ordered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    ship_to_name: Mapped[str | None] = mapped_column(String(200))
    ship_to_phone: Mapped[str | None] = mapped_column(String(32))
    ship_country: Mapped[str | None] = mapped_column(String(64))
    ship_province: Mapped[str | None] = mapped_column(String(64))
    ship_city: Mapped[str | None] = mapped_column(String(64))
    ship_district: Mapped[str | None] = mapped_column(String(64))
    ship_address: Mapped[str | None] = mapped_column(String(500))
    ship_postcode: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[CreatedAt]

    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="sales_order",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SalesOrderLine.line_no",
    )


class SalesOrderLine(Base):
    __tablename__ = "sales_order_lines"
    __table_args__ = (
        UniqueConstraint("sales_order_id", "line_no"),
        CheckConstraint("line_no > 0", name="line_no_positive"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("qty_shipped >= 0", name="qty_shipped_nonnegative"),
        CheckConstraint("qty_shipped <= qty", name="qty_shipped_within_qty"),
        CheckConstraint("qty_returned >= 0", name="qty_returned_nonnegative"),
        CheckConstraint("qty_returned <= qty_shipped", name="qty_returned_within_shipped"),
        CheckConstraint("unit_price >= 0", name="unit_price_nonnegative"),
    )

    id: Mapped[IntPK]
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"))
    line_no: Mapped[int]
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"), index=True)
    # The warehouse the quantity is reserved in; NULL until reserved.
    warehouse_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouses.id", ondelete="RESTRICT"), index=True
    )
    qty: Mapped[int]
    qty_shipped: Mapped[int] = mapped_column(default=0, server_default="0")
    qty_returned: Mapped[int] = mapped_column(default=0, server_default="0")
    unit_price: Mapped[Money]

    sales_order: Mapped[SalesOrder] = relationship(back_populates="lines", lazy="raise")


class Payment(Base):
    """A payment or a refund; amounts are positive and ``kind`` gives the direction."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[IntPK]
    sales_order_id: Mapped[int] = mapped_column(
        ForeignKey("sales_orders.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[PaymentKind] = mapped_column(
        checked_enum(PaymentKind, "kind"),
        default=PaymentKind.PAYMENT,
        server_default=PaymentKind.PAYMENT.value,
    )
    # No index: payment methods are a handful of rows, and an index would cost every payment written.
    payment_method_id: Mapped[int] = mapped_column(ForeignKey("payment_methods.id", ondelete="RESTRICT"))
    amount: Mapped[Money]
    currency: Mapped[Currency]
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    external_ref: Mapped[str | None] = mapped_column(String(128))


class Shipment(Base):
    """A parcel that left a warehouse. Shipped through the ERP, it has lines and posted stock movements;
    migrated from a legacy system, it is history only: no lines, no stock moved, possibly no warehouse."""

    __tablename__ = "shipments"

    id: Mapped[IntPK]
    sales_order_id: Mapped[int] = mapped_column(
        ForeignKey("sales_orders.id", ondelete="RESTRICT"), index=True
    )
    warehouse_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouses.id", ondelete="RESTRICT"), index=True
    )
    carrier: Mapped[str] = mapped_column(String(32))  # 顺丰, 中通, 圆通, 京东物流 ...
    tracking_no: Mapped[str | None] = mapped_column(String(64))
    shipped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ShipmentLine.id",
    )


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[IntPK]
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    sales_order_line_id: Mapped[int] = mapped_column(
        ForeignKey("sales_order_lines.id", ondelete="RESTRICT"), index=True
    )
    qty: Mapped[int]

    shipment: Mapped[Shipment] = relationship(back_populates="lines", lazy="raise")


class Return(Base):
    __tablename__ = "returns"

    id: Mapped[IntPK]
    sales_order_id: Mapped[int] = mapped_column(
        ForeignKey("sales_orders.id", ondelete="RESTRICT"), index=True
    )
    reason: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="return_",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ReturnLine.id",
    )


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[IntPK]
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    sales_order_line_id: Mapped[int] = mapped_column(
        ForeignKey("sales_order_lines.id", ondelete="RESTRICT"), index=True
    )
    qty: Mapped[int]
    disposition: Mapped[ReturnDisposition] = mapped_column(checked_enum(ReturnDisposition, "disposition"))

    # ``return`` is a keyword, hence the trailing underscore.
    return_: Mapped[Return] = relationship(back_populates="lines", lazy="raise")
