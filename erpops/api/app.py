"""The FastAPI application: `create_app()` wires settings, the database, auth and the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from erpops.api import errors
from erpops.api.deps import AuthCache, Database
from erpops.api.openapi import document_errors
from erpops.api.routes import admin, catalogue, channels, inventory, procurement, project, reports, sales
from erpops.portal import web as portal
from infra.db import make_engine
from infra.settings import get_settings
from infra.stack import database_url

API_PREFIX = "/api/v1"


def create_app(url: str | None = None) -> FastAPI:
    """An app on `url` (default: the configured ERP database)."""
    settings = get_settings()
    engine = make_engine(url or database_url(settings), pool_size=settings.api_db_pool_size, max_overflow=0,
                         application_name="erpops-api")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="erpops ERP API",
        version="1",
        description="Procurement, inventory, sales and channel integration of the ERP. Authenticate with "
        "`Authorization: Bearer <token>` (`erpops token create`). Errors are JSON: `{error, detail}` (and "
        "`problems` for a `validation_error`); each operation lists the statuses it can answer.",
        lifespan=lifespan,
    )
    app.state.db = Database(sessionmaker(bind=engine, expire_on_commit=False))
    app.state.settings = settings  # the state directory (reports), the upload directory, the public address
    app.state.auth_cache = AuthCache(settings.api_auth_cache_s)
    errors.install(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (sales, inventory, procurement, channels, catalogue, project, admin):
        api.include_router(module.router)
    if settings.api_bench_endpoints:
        api.include_router(_bench_router(app))
    app.include_router(api)
    app.include_router(reports.router)
    portal.install(app)
    document_errors(app)

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, str]:
        """Liveness and database reachability; needs no token."""
        app.state.db.read(lambda s: s.execute(text("SELECT 1")))
        return {"status": "ok"}

    return app


def _bench_router(app: FastAPI) -> APIRouter:
    """The benchmark's baseline: the same server and stack, doing one UPDATE per request, no auth."""
    router = APIRouter(prefix="/_bench", tags=["benchmark"], include_in_schema=False)

    @router.post("/update")
    def bare_update(sku: str) -> dict[str, int]:
        # Unguarded: the bare baseline the API's own overhead (auth, freeze check, ORM) is measured against.
        updated = app.state.db.write(guarded=False, work=lambda s: s.execute(
            text("UPDATE stock_levels SET version = version + 1 WHERE sku_id = (SELECT id FROM skus WHERE code = :c)"),
            {"c": sku}).rowcount)
        return {"updated": int(updated)}

    return router
