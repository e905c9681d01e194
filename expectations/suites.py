"""One expectation suite per migration target, as code: what each batch must satisfy before it is loaded.

Names are reason codes stored with quarantined rows and named in mapping files, so they never change
meaning; add a new name instead. Limits follow the ERP schema (String(n), CHECK constraints).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType

from erp_models.enums import PaymentKind, PurchaseOrderStatus, SalesOrderStatus
from expectations.spec import (
    CURRENCY_PATTERN,
    EMAIL_PATTERN,
    GTIN_PATTERN,
    INT64_MAX,
    MOBILE_PATTERN,
    SEVERITIES,
    ExpectationSpec,
    Severity,
    allowed,
    at_least,
    between,
    code_format,
    legacy_key,
    matches,
    max_length,
    nonnegative,
    not_null,
    optional_code,
    positive,
    required_code,
    text,
    unique,
    unique_together,
)

Suite = tuple[ExpectationSpec, ...]
REFERENCE_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*\Z"  # as erp_models.sales.vocabulary.CODE_RULE


def _suite(*parts: ExpectationSpec | Iterable[ExpectationSpec]) -> Suite:
    specs = (*legacy_key(), *(s for p in parts for s in ((p,) if isinstance(p, ExpectationSpec) else p)))
    names = [s.name for s in specs]
    duplicated = {n for n in names if names.count(n) > 1}
    assert not duplicated, f"reason codes must be unique within a suite: {sorted(duplicated)}"
    return specs


def master_code() -> Suite:
    """``code`` of master data: required, well-formed, and unique (the ERP column is UNIQUE)."""
    return (not_null("code"), code_format("code"), unique("code"))


def phone() -> Suite:
    return max_length("phone", 32), matches("phone_is_mobile", "phone", MOBILE_PATTERN, "warn")


def email() -> Suite:
    return max_length("email", 254), matches("email_format", "email", EMAIL_PATTERN, "warn")


def money(column: str, *, positive_only: bool = False) -> Suite:
    check = positive(column, INT64_MAX) if positive_only else nonnegative(column, INT64_MAX)
    return not_null(column), check


def currency() -> ExpectationSpec:
    return matches("currency_format", "currency", CURRENCY_PATTERN)


def address(*, with_country: bool = False) -> Suite:
    parts = (*text("province", 64), *text("city", 64), *text("district", 64), *text("address", 500))
    return (*parts, *text("country", 64)) if with_country else parts


def ship_to() -> Suite:
    """Where an order goes: receiver, phone and address, all optional."""
    return (*text("ship_to_name", 200), max_length("ship_to_phone", 32), *text("ship_country", 64),
            *text("ship_province", 64), *text("ship_city", 64), *text("ship_district", 64),
            *text("ship_address", 500), max_length("ship_postcode", 16))


def reference_code() -> Suite:
    """``code`` of a vocabulary (channels, payment methods): the rule the API applies when an admin adds one
    (it appears in URLs, so no ``:`` or ``/``), in String(32)."""
    return (not_null("code"), matches("code_format", "code", REFERENCE_CODE_PATTERN), unique("code"),
            max_length("code", 32))


def count(column: str) -> Suite:
    return not_null(column), positive(column)


SUITES: Mapping[str, Suite] = MappingProxyType({
    "suppliers": _suite(master_code(), text("name", 200, required=True), text("contact_name", 64), phone(), email(),
                        address(), nonnegative("payment_terms_days"),
                        between("payment_terms_days_at_most_365", "payment_terms_days", 0, 365, "warn")),
    "categories": _suite(master_code(), text("name", 200, required=True), optional_code("parent_code")),
    "products": _suite(master_code(), text("name", 200, required=True), required_code("category_code"),
                       text("brand", 100), text("description", None)),
    "skus": _suite(master_code(), required_code("product_code"), max_length("barcode", 32), unique("barcode"),
                   matches("barcode_is_gtin", "barcode", GTIN_PATTERN, "warn"), text("spec", 200),
                   nonnegative("weight_g"), money("list_price"), currency()),
    "warehouses": _suite(master_code(), text("name", 200, required=True), text("province", 64), text("city", 64)),
    # An opening balance of zero is a fact worth keeping in the map; it posts nothing to the ledger.
    "opening_stock": _suite(required_code("sku_code"), required_code("warehouse_code"), not_null("qty"),
                            nonnegative("qty"),
                            unique_together("sku_warehouse_unique", "sku_code", "warehouse_code")),
    "customers": _suite(master_code(), text("name", 200, required=True), phone(), email(), address(with_country=True)),
    # Channels and payment methods are data: a code no row has is quarantined as orphan_channel / orphan_method
    # when references are checked, not by the gate.
    "channels": _suite(reference_code(), text("name", 200, required=True)),
    "payment_methods": _suite(reference_code(), text("name", 200, required=True)),
    "sales_orders": _suite(not_null("channel"), max_length("channel", 32), required_code("external_id"),
                           unique_together("channel_external_id_unique", "channel", "external_id"),
                           optional_code("customer_code"), allowed("status", SalesOrderStatus),
                           not_null("ordered_at"), currency(), money("total"),
                           nonnegative("freight", INT64_MAX), ship_to()),
    "sales_order_lines": _suite(not_null("order_key"), max_length("order_key", 200), count("line_no"),
                                required_code("sku_code"), count("qty"), money("unit_price"),
                                unique_together("order_line_unique", "order_key", "line_no")),
    "payments": _suite(not_null("order_key"), max_length("order_key", 200), not_null("method"),
                       max_length("method", 32), allowed("kind", PaymentKind),
                       money("amount", positive_only=True), not_null("paid_at"), max_length("external_ref", 128),
                       currency()),
    "shipments": _suite(not_null("order_key"), max_length("order_key", 200), optional_code("warehouse_code"),
                        text("carrier", 32, required=True), max_length("tracking_no", 64), not_null("shipped_at"),
                        # Legacy systems record deliveries before their dispatch: worth a look, no reason to drop one.
                        dataclasses.replace(at_least("delivered_after_shipped", "delivered_at", "shipped_at"),
                                            severity="warn")),
    "purchase_orders": _suite(required_code("number"), unique("number"), required_code("supplier_code"),
                              required_code("warehouse_code"), allowed("status", PurchaseOrderStatus),
                              not_null("ordered_at"), money("total"), currency()),
    "purchase_order_lines": _suite(not_null("po_key"), max_length("po_key", 200), count("line_no"),
                                   required_code("sku_code"), count("qty_ordered"), nonnegative("qty_received"),
                                   at_least("qty_received_within_ordered", "qty_ordered", "qty_received"),
                                   money("unit_cost"), unique_together("po_line_unique", "po_key", "line_no")),
})


def suite_for(entity: str) -> Suite:
    try:
        return SUITES[entity]
    except KeyError:
        raise ValueError(f"unknown entity {entity!r}; known: {', '.join(SUITES)}") from None


def expectation_names(entity: str) -> list[str]:
    return [spec.name for spec in suite_for(entity)]


def default_severity(entity: str) -> dict[str, Severity]:
    return {spec.name: spec.severity for spec in suite_for(entity)}


def resolve_suite(entity: str, *, severity: Mapping[str, Severity] | None = None,
                  enabled: Collection[str] | None = None) -> Suite:
    """The entity's specs that are enabled, each carrying its effective severity; unknown names are a ValueError."""
    suite = suite_for(entity)
    if isinstance(enabled, str):
        enabled = (enabled,)
    known = [spec.name for spec in suite]
    for name in [*(severity or {}), *(enabled or ())]:
        if name not in known:
            raise ValueError(f"unknown expectation {name!r} for {entity}; known: {', '.join(known)}")
    for name, level in (severity or {}).items():
        if level not in SEVERITIES:
            raise ValueError(f"severity of {name!r} for {entity} must be block or warn, not {level!r}")
    chosen = suite if enabled is None else tuple(spec for spec in suite if spec.name in set(enabled))
    overrides = severity or {}
    return tuple(dataclasses.replace(s, severity=overrides.get(s.name, s.severity)) for s in chosen)
