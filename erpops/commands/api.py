"""`erpops api`: serve the ERP HTTP API with uvicorn (OpenAPI at /docs)."""

from __future__ import annotations

from typing import Annotated

import typer


def api(
    host: Annotated[str | None, typer.Option(help="Interface to bind; default ERPOPS_API_HOST (127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Default ERPOPS_API_PORT (8000).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the ERP HTTP API (OpenAPI at /docs)."""
    import os

    import uvicorn

    from erpops.commands.db import connected_engine
    from infra.errors import PortInUse
    from infra.prefect_server import port_is_free
    from infra.settings import get_settings
    from infra.stack import database_url

    settings = get_settings()
    host, port = host or settings.api_host, port or settings.api_port
    if not port_is_free(host, port):
        raise PortInUse(f"port {host}:{port} is already in use by another program; pass --port or set ERPOPS_API_PORT")
    connected_engine(schema_current=True)
    # Workers are new processes: hand them the resolved URL, so none of them starts an embedded server.
    os.environ["ERPOPS_DATABASE_URL"] = database_url(settings)
    typer.echo(f"ERP API on http://{host}:{port}  (OpenAPI: http://{host}:{port}/docs)", err=True)
    uvicorn.run("erpops.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)
