"""Master data: SKUs with their product and category, warehouses and suppliers, created idempotently by code."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import Conflict
from erp_models.integration.outbox import record_event
from erp_models.security.audit import audit


@dataclass(frozen=True)
class SkuInput:
    code: str
    product_code: str
    product_name: str
    category_code: str
    category_name: str
    list_price: int
    barcode: str | None = None
    spec: str | None = None
    weight_g: int = 0


def _upsert_returning_id(session: Session, sql: str, params: dict[str, object]) -> int:
    return int(session.execute(text(sql), params).scalar_one())


def create_sku(session: Session, *, sku: SkuInput, actor: str) -> int:
    """Create a SKU (and its product and category when new); creating an existing code again is a conflict."""
    category_id = _upsert_returning_id(
        session,
        """INSERT INTO categories (code, name) VALUES (:c, :n)
           ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code RETURNING id""",
        {"c": sku.category_code, "n": sku.category_name},
    )
    product_id = _upsert_returning_id(
        session,
        """INSERT INTO products (code, name, category_id) VALUES (:c, :n, :cat)
           ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code RETURNING id""",
        {"c": sku.product_code, "n": sku.product_name, "cat": category_id},
    )
    sku_id = session.execute(
        text("""INSERT INTO skus (product_id, code, barcode, spec, weight_g, list_price)
                VALUES (:p, :c, :b, :s, :w, :price) ON CONFLICT DO NOTHING RETURNING id"""),
        {"p": product_id, "c": sku.code, "b": sku.barcode, "s": sku.spec, "w": sku.weight_g, "price": sku.list_price},
    ).scalar_one_or_none()
    if sku_id is None:
        raise Conflict(f"a SKU with code {sku.code!r} or barcode {sku.barcode!r} exists already", sku=sku.code)
    record_event(session, "SkuCreated", "sku", sku_id, code=sku.code, product=sku.product_code)
    audit(session, actor=actor, action="catalogue.create_sku", entity="skus", ids=[sku_id], code=sku.code)
    return int(sku_id)


def create_warehouse(
    session: Session, *, code: str, name: str, actor: str, province: str | None = None, city: str | None = None
) -> int:
    wh_id = session.execute(
        text("""INSERT INTO warehouses (code, name, province, city) VALUES (:c, :n, :p, :ci)
                ON CONFLICT (code) DO NOTHING RETURNING id"""),
        {"c": code, "n": name, "p": province, "ci": city},
    ).scalar_one_or_none()
    if wh_id is None:
        raise Conflict(f"a warehouse with code {code!r} exists already", warehouse=code)
    audit(session, actor=actor, action="catalogue.create_warehouse", entity="warehouses", ids=[wh_id])
    return int(wh_id)


def create_supplier(
    session: Session, *, code: str, name: str, actor: str, phone: str | None = None,
    province: str | None = None, city: str | None = None, payment_terms_days: int = 30,
) -> int:
    supplier_id = session.execute(
        text("""INSERT INTO suppliers (code, name, phone, province, city, payment_terms_days)
                VALUES (:c, :n, :ph, :p, :ci, :t) ON CONFLICT (code) DO NOTHING RETURNING id"""),
        {"c": code, "n": name, "ph": phone, "p": province, "ci": city, "t": payment_terms_days},
    ).scalar_one_or_none()
    if supplier_id is None:
        raise Conflict(f"a supplier with code {code!r} exists already", supplier=code)
    audit(session, actor=actor, action="catalogue.create_supplier", entity="suppliers", ids=[supplier_id])
    return int(supplier_id)
