"""The API's operations as the OpenAPI document describes them, each with the permission its route requires."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.dependencies.models import Dependant

# The app is only described, never served: an engine on this URL is created lazily and never connects.
OFFLINE_URL = "postgresql+psycopg://unused@/unused?host=/nonexistent"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    """One API operation: what a caller sends, what it does, and which permission it needs."""

    method: str
    path: str
    summary: str
    permission: str | None  # None: any valid token, or no token at all when `needs_token` is false
    needs_token: bool
    body_required: tuple[str, ...] = ()
    body_optional: tuple[str, ...] = ()
    path_choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (path parameter, its allowed values)

    @property
    def module(self) -> str | None:
        return self.permission.split(".")[0] if self.permission else None

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def title(self) -> str:
        """The summary's first clause, without asides: "Close a received order"."""
        plain = re.sub(r"\s*\([^)]*\)", "", self.summary)
        return re.split(r"[.;:,]", plain, maxsplit=1)[0].strip() or f"{self.method} {self.path}"


def api_operations(app: FastAPI | None = None) -> list[Operation]:
    """Every operation of the OpenAPI document of `app` (default: a fresh, offline `create_app()`)."""
    if app is None:
        from erpops.api.app import create_app

        app = create_app(OFFLINE_URL)
    doc = app.openapi()
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    required_by_route = _route_permissions(app)
    found = []
    for path, item in doc["paths"].items():
        for method in (m for m in HTTP_METHODS if m in item):
            op = item[method]
            body_ref = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            body = _resolve(body_ref, schemas)
            required = body.get("required", [])
            fields = {name: _field(name, spec, schemas) for name, spec in body.get("properties", {}).items()}
            choices = tuple((p["name"], tuple(_resolve(p.get("schema", {}), schemas).get("enum", ())))
                            for p in op.get("parameters", []) if p.get("in") == "path")
            found.append(Operation(
                method=method.upper(), path=path,
                summary=" ".join((op.get("description") or op.get("summary") or "").split()),
                permission=required_by_route.get((method.upper(), path)), needs_token=bool(op.get("security")),
                body_required=tuple(fields[n] for n in fields if n in required),
                body_optional=tuple(fields[n] for n in fields if n not in required),
                path_choices=tuple(c for c in choices if c[1]),
            ))
    return found


def _route_permissions(app: FastAPI) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> the permission named by the route's `require(...)` dependency (deps.require)."""
    from fastapi.routing import APIRoute

    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before 0.150 lists included routes flat in app.routes
        contexts: list[Any] = list(app.routes)
    else:  # since 0.150 included routers stay nested; a context carries the full path
        contexts = list(iter_route_contexts(app.routes))
    found: dict[tuple[str, str], str] = {}
    for context in contexts:
        route = getattr(context, "original_route", context)
        permission = _required_permission(route.dependant) if isinstance(route, APIRoute) else None
        if permission:
            for method in context.methods or ():
                found[(method, context.path_format)] = permission
    return found


def _required_permission(dependant: Dependant) -> str | None:
    for sub in dependant.dependencies:
        permission = getattr(sub.call, "permission", None) or _required_permission(sub)
        if permission:
            return str(permission)
    return None


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return dict(schemas.get(ref.rsplit("/", 1)[-1], {})) if ref else schema


def _field(name: str, spec: dict[str, Any], schemas: dict[str, Any]) -> str:
    """A body field as a reader needs it: `lines[line_no, qty]`, `channel (tmall, jd)`, or just `sku`."""
    for variant in [spec, *spec.get("anyOf", [])]:
        resolved = _resolve(variant, schemas)
        if resolved.get("type") == "array":
            item = _resolve(resolved.get("items", {}), schemas)
            if item.get("properties"):
                return f"{name}[{', '.join(item['properties'])}]"
        if resolved.get("enum"):
            return f"{name} ({', '.join(map(str, resolved['enum']))})"
    return name
