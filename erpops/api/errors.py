"""Every error leaves the API as JSON `{"error": code, "detail": ...}` with a 4xx status (503 while writes are
frozen); a 500 is a bug."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from erp_models.errors import (
    Conflict,
    DomainError,
    Frozen,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from erp_models.security.services import authenticate

log = logging.getLogger("erpops.api")

STATUS = {NotFound: 404, InvalidInput: 422, Conflict: 409, Unauthenticated: 401, PermissionDenied: 403, Frozen: 503}
HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "permission_denied", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              422: "invalid_input"}


def error(status: int, code: str, detail: object, headers: dict[str, str] | None = None,
          problems: list[dict[str, object]] | None = None) -> JSONResponse:
    """The one error body (erpops.api.openapi.ErrorOut): `detail` always a string, `problems` for schema errors."""
    body: dict[str, object] = {"error": code, "detail": detail if isinstance(detail, str) else str(detail)}
    if problems is not None:
        body["problems"] = jsonable_encoder(problems)
    return JSONResponse(body, status_code=status, headers=headers)


def _status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


async def on_domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = _status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, Frozen):  # clients (marketplaces) retry after this many seconds
        headers = {"Retry-After": str(exc.detail["retry_after_s"])}
    return error(status, exc.code, exc.message, headers)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # FastAPI reads the body before the auth dependency runs: a caller without a valid token learns nothing about
    # the body it sent, and gets the 401 a well-formed request would get.
    refused = await run_in_threadpool(_unauthenticated, request)
    if refused is not None:
        return error(401, refused.code, refused.message, {"WWW-Authenticate": "Bearer"})
    problems = exc.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return error(400, "malformed_json", "the request body is not valid JSON")
    listed: list[dict[str, object]] = [{"loc": list(p.get("loc", ())), "msg": str(p.get("msg")),
                                        "type": str(p.get("type"))} for p in problems]
    summary = "; ".join(f"{'.'.join(str(part) for part in p.get('loc', ()))}: {p.get('msg')}" for p in problems)
    return error(422, "validation_error", summary, problems=listed)


def _unauthenticated(request: Request) -> Unauthenticated | None:
    """Why an /api/v1 request is not authenticated (no bearer token, or one that does not authenticate), or None."""
    if not request.url.path.startswith("/api/v1/"):
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Unauthenticated("an Authorization: Bearer <token> header is required")
    try:
        request.app.state.db.read(lambda session: authenticate(session, token.strip()))
    except Unauthenticated as exc:
        return exc
    return None


async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return error(exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), exc.detail, headers)


async def on_integrity_error(_: Request, exc: Exception) -> JSONResponse:
    constraint = getattr(getattr(getattr(exc, "orig", None), "diag", None), "constraint_name", None)
    return error(409, "conflict", f"the change breaks constraint {constraint}" if constraint else "conflict")


async def on_data_error(_: Request, exc: Exception) -> JSONResponse:
    message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return error(422, "invalid_value", message)


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error(500, "internal_error", "an unexpected error; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(IntegrityError, on_integrity_error)
    app.add_exception_handler(DataError, on_data_error)
    app.add_exception_handler(Exception, on_unexpected)
