"""The OpenAPI document states the errors each operation can answer, with the one error body they all share.

Every /api/v1 and /reports operation can answer 401 (no valid token), 403 (the role lacks the permission) and 422
(the input breaks the schema or a rule); one with a body also 400 (malformed JSON); one whose path, query or body
names something (a SKU, a warehouse, a channel, an order) also 404; a write also 409 (a conflict with the ERP's state)
and 503 (business writes frozen for a cutover, with Retry-After). A signed report link needs no token: 403 is its
refusal. An operation may add statuses of its own in its route (`responses=`), e.g. 404 while no plan is loaded.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

WRITES = {"post", "put", "patch", "delete"}
DESCRIPTIONS = {
    400: "Malformed JSON (`malformed_json`)",
    401: "No valid bearer token (`unauthenticated`), whatever the body",
    403: "The token's role lacks the operation's permission (`permission_denied`)",
    404: "Something the request names (in its path, query or body) does not exist (`not_found`)",
    409: "A conflict with the ERP's state, or between two fields of the request (`conflict`, `insufficient_stock`, "
         "`invalid_transition`, ...)",
    422: "The input breaks the schema (`validation_error`, each problem in `problems`) or a rule (`invalid_input`, "
         "`invalid_value`)",
    503: "Business writes are frozen for a cutover (`frozen`); retry after the `Retry-After` header's seconds",
}


class Problem(BaseModel):
    loc: list[str | int] = Field(description="Where: `body`, `query` or `path`, then the field")
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error's body."""

    error: str = Field(description="A stable machine-readable code, e.g. `insufficient_stock`")
    detail: str = Field(description="What went wrong, for a person")
    problems: list[Problem] | None = Field(default=None, description="`validation_error` only: each problem")


def error_statuses(method: str, path: str, *, has_body: bool, names_things: bool) -> list[int]:
    """The error statuses an operation can answer."""
    statuses = [422] if path.startswith("/reports/s/") else [401, 403, 422]
    if has_body:
        statuses.append(400)
    if has_body or names_things or "{" in path:
        statuses.append(404)
    if method in WRITES:
        statuses += [409, 503]
    return sorted(statuses)


NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold a NUL character: the API answers 422 `invalid_value`


def _state_no_nul(schema: Any) -> None:
    """Every free string in request schemas states that it holds no NUL (what the database enforces)."""
    if isinstance(schema, list):
        for item in schema:
            _state_no_nul(item)
    elif isinstance(schema, dict):
        if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & schema.keys():
            schema["pattern"] = NO_NUL
        for value in schema.values():
            _state_no_nul(value)


def _free_text(schema: dict[str, Any]) -> bool:
    """A string that is not an enum: a code or a name, which may name something that does not exist."""
    if schema.get("type") == "string":
        return "enum" not in schema and "format" not in schema
    return any(_free_text(option) for option in schema.get("anyOf", []))


def document_errors(app: FastAPI) -> None:
    """Generate the app's OpenAPI document with each operation's error responses and the shared `Error` schema."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs"))
        components["Error"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for path, item in schema["paths"].items():
            if not path.startswith(("/api/v1/", "/reports/")):
                continue
            for method, operation in item.items():
                responses = operation.setdefault("responses", {})
                names = any(p.get("in") == "query" and _free_text(p.get("schema", {}))
                            for p in operation.get("parameters", []))
                statuses = set(error_statuses(method, path, has_body="requestBody" in operation, names_things=names))
                statuses |= {int(s) for s in responses if s.isdigit() and int(s) >= 400}  # the route's own
                for status in sorted(statuses):
                    described = responses.get(str(status), {}).get("description")
                    # FastAPI's own 422 describes its default body, not this API's: replaced.
                    keep = described if described and status != 422 else DESCRIPTIONS[status]
                    responses[str(status)] = {"description": keep, "content": body}
        for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's default 422 body, no longer used
            components.pop(name, None)
        _state_no_nul([s for n, s in components.items() if n not in ("Error", "Problem")])
        _state_no_nul([p.get("schema") for item in schema["paths"].values() for op in item.values()
                       for p in op.get("parameters", [])])
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
