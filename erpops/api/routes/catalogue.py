"""Master data: SKUs (with product and category), warehouses and suppliers; and who am I, and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from erp_models.catalogue.services import SkuInput, create_sku, create_supplier, create_warehouse
from erp_models.queries import list_audit, list_skus
from erp_models.security.services import Principal
from erpops.api.deps import Db, current_principal, require
from erpops.api.schemas import CreatedOut, Limit, Offset, PageOut, SkuIn, SupplierIn, WarehouseIn

router = APIRouter(tags=["catalogue"])
Reader = Annotated[Principal, Depends(require("catalogue.read"))]
Writer = Annotated[Principal, Depends(require("catalogue.write"))]
Auditor = Annotated[Principal, Depends(require("audit.read"))]


@router.post("/skus", response_model=CreatedOut, status_code=201)
def new_sku(body: SkuIn, db: Db, who: Writer) -> CreatedOut:
    """Create a SKU; its product and category are created when their codes are new."""
    sku = SkuInput(**body.model_dump())
    return CreatedOut(id=db.write(lambda s: create_sku(s, sku=sku, actor=who.username)))


@router.get("/skus", response_model=PageOut)
def skus(db: Db, _: Reader, q: str | None = None, limit: Limit = 50, offset: Offset = 0) -> PageOut:
    """SKUs with their product, searched by code, product name or exact barcode, paginated."""
    page = db.read(lambda s: list_skus(s, query=q, limit=limit, offset=offset))
    return PageOut.of(page)


@router.post("/warehouses", response_model=CreatedOut, status_code=201)
def new_warehouse(body: WarehouseIn, db: Db, who: Writer) -> CreatedOut:
    """Create a warehouse; an existing code is a conflict."""
    return CreatedOut(id=db.write(lambda s: create_warehouse(s, actor=who.username, **body.model_dump())))


@router.post("/suppliers", response_model=CreatedOut, status_code=201)
def new_supplier(body: SupplierIn, db: Db, who: Writer) -> CreatedOut:
    """Create a supplier; an existing code is a conflict."""
    return CreatedOut(id=db.write(lambda s: create_supplier(s, actor=who.username, **body.model_dump())))


@router.get("/me", tags=["security"])
def me(who: Annotated[Principal, Depends(current_principal)]) -> dict[str, object]:
    """The caller's user, role and permissions."""
    return {"username": who.username, "role": who.role, "permissions": sorted(who.permissions)}


@router.get("/audit-log", response_model=PageOut, tags=["security"])
def audit_log(db: Db, _: Auditor, entity: str | None = None, actor: str | None = None,
              limit: Limit = 50, offset: Offset = 0) -> PageOut:
    """Who did what to which records, newest first, filtered by entity or actor."""
    page = db.read(lambda s: list_audit(s, entity=entity, actor=actor, limit=limit, offset=offset))
    return PageOut.of(page)
