"""Request and response bodies of the API, with limits that match the database's columns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from erp_models.enums import PaymentKind, ReturnDisposition
from erp_models.queries import Page

# Blanks around a code or text are dropped before it is checked, so what the schema admits is what the API accepts
# (an anchored pattern such as `^\S.*\S$` would differ between JSON Schema validators at a trailing newline).
# A code holds something besides blanks and no NUL (PostgreSQL refuses it in text); a short text no control
# characters at all (it is one line).
SOME_TEXT = r"^[^\x00]*\S[^\x00]*$"
ONE_LINE = r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$"
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=SOME_TEXT)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=ONE_LINE)]
Qty = Annotated[int, Field(gt=0, le=1_000_000)]
Minor = Annotated[int, Field(ge=0, le=10**12, description="Money in minor units (fen for CNY).")]
# A channel's or payment method's code: any that exists (GET /channels, GET /payment-methods).
TermCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32,
                                            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


def _not_zero(value: int) -> int:
    if value == 0:
        raise ValueError("must not be zero")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderLineIn(Strict):
    sku: Code
    qty: Qty
    unit_price: Minor


class ShipToIn(Strict):
    """Where the order goes; every part is optional."""

    name: Annotated[str, Field(max_length=200)] | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None
    province: Annotated[str, Field(max_length=64)] | None = None
    city: Annotated[str, Field(max_length=64)] | None = None
    district: Annotated[str, Field(max_length=64)] | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    postcode: Annotated[str, Field(max_length=16)] | None = None


class PlaceOrderIn(Strict):
    channel: TermCode
    external_id: Code
    customer_ref: Code | None = None
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)
    freight: Minor = Field(default=0, description="Shipping fee in minor units; the total is the lines plus this.")
    ship_to: ShipToIn | None = None


class OrderRef(BaseModel):
    id: int
    status: str


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    warehouse: str | None
    qty: int
    qty_shipped: int
    qty_returned: int
    unit_price: int


class PaymentOut(BaseModel):
    kind: str
    method: str
    amount: int
    currency: str
    paid_at: datetime
    external_ref: str | None


class ShipToOut(BaseModel):
    name: str | None
    phone: str | None
    country: str | None
    province: str | None
    city: str | None
    district: str | None
    address: str | None
    postcode: str | None


class ShipmentOut(BaseModel):
    carrier: str
    tracking_no: str | None
    warehouse: str | None
    shipped_at: datetime
    delivered_at: datetime | None


class OrderOut(BaseModel):
    id: int
    channel: str
    external_id: str
    customer_ref: str | None
    status: str
    currency: str
    total: int
    freight: int
    ordered_at: datetime
    ship_to: ShipToOut
    lines: list[OrderLineOut]
    payments: list[PaymentOut]
    shipments: list[ShipmentOut]


Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Rows to skip.")]


class PageOut(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    next_offset: int | None

    @classmethod
    def of(cls, page: Page) -> PageOut:
        return cls(items=page.items, total=page.total, limit=page.limit, offset=page.offset,
                   next_offset=page.next_offset)


class PaymentIn(Strict):
    amount: Annotated[int, Field(gt=0, le=10**12)]
    method: TermCode
    kind: PaymentKind = PaymentKind.PAYMENT
    external_ref: Annotated[str, Field(max_length=128)] | None = None


class LineQtyIn(Strict):
    line_no: Annotated[int, Field(ge=1, le=10_000)]
    qty: Qty


class ShipmentIn(Strict):
    carrier: Annotated[str, Field(min_length=1, max_length=32)]
    tracking_no: Annotated[str, Field(max_length=64)] | None = None
    lines: list[LineQtyIn] | None = Field(default=None, max_length=200)


class ReturnLineIn(LineQtyIn):
    disposition: ReturnDisposition


class ReturnIn(Strict):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    reason: Annotated[str, Field(max_length=500)] | None = None


class StatusOut(BaseModel):
    status: str


class StockOut(BaseModel):
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int


class AdjustmentIn(Strict):
    sku: Code
    warehouse: Code
    delta: Annotated[int, Field(ge=-1_000_000, le=1_000_000, description="Not zero: an adjustment changes the stock",
                                json_schema_extra={"not": {"const": 0}}), AfterValidator(_not_zero)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=SOME_TEXT)]


class TransferIn(Strict):
    sku: Code
    from_warehouse: Code
    to_warehouse: Code
    qty: Qty


class ReservationIn(Strict):
    sku: Code
    warehouse: Code
    qty: Qty


class CountIn(Strict):
    sku: Code
    warehouse: Code
    counted: Annotated[int, Field(ge=0, le=100_000_000)]


class ReorderRuleIn(Strict):
    sku: Code
    warehouse: Code
    min_qty: Annotated[int, Field(ge=0, le=100_000_000)]
    max_qty: Annotated[int, Field(ge=0, le=100_000_000)]
    lead_time_days: Annotated[int, Field(ge=0, le=365)] = 7


class SkuIn(Strict):
    code: Code
    product_code: Code
    product_name: Text
    category_code: Code
    category_name: Text
    list_price: Minor
    barcode: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    spec: Annotated[str, Field(max_length=200)] | None = None
    weight_g: Annotated[int, Field(ge=0, le=10_000_000)] = 0


class WarehouseIn(Strict):
    code: Code
    name: Text
    province: Annotated[str, Field(max_length=64)] | None = None
    city: Annotated[str, Field(max_length=64)] | None = None


class SupplierIn(Strict):
    code: Code
    name: Text
    phone: Annotated[str, Field(max_length=32)] | None = None
    province: Annotated[str, Field(max_length=64)] | None = None
    city: Annotated[str, Field(max_length=64)] | None = None
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30


class CreatedOut(BaseModel):
    id: int


class PurchaseLineIn(Strict):
    sku: Code
    qty: Qty
    unit_cost: Minor


class PurchaseOrderIn(Strict):
    supplier: Code
    warehouse: Code
    lines: list[PurchaseLineIn] = Field(min_length=1, max_length=200)
    expected_on: date | None = None
    number: Code | None = None


class ReceiptIn(Strict):
    lines: list[LineQtyIn] | None = Field(default=None, max_length=200)


class ListingIn(Strict):
    channel_sku: Annotated[str, Field(min_length=1, max_length=128)]
    sku: Code
    price: Minor | None = None


class ChannelLineIn(Strict):
    channel_sku: Annotated[str, Field(min_length=1, max_length=128)]
    qty: Qty
    unit_price: Minor


class ChannelOrderIn(Strict):
    external_id: Code
    buyer_ref: Code | None = None
    lines: list[ChannelLineIn] = Field(min_length=1, max_length=200)
    freight: Minor = Field(default=0, description="Shipping fee in minor units; the total is the lines plus this.")
    ship_to: ShipToIn | None = None


class TermIn(Strict):
    code: TermCode
    name: Text


class TermOut(BaseModel):
    code: str
    name: str
