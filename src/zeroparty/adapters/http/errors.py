"""Turning our exceptions into precise JSON answers."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from zeroparty.domain.untrusted import safe_for_output
from zeroparty.errors import (
    Conflict,
    FieldError,
    Forbidden,
    Gone,
    InvalidInput,
    MalformedInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)

log = logging.getLogger("zeroparty.http")


def error_body(detail: str, errors: list[FieldError]) -> dict[str, object]:
    # Field names can come from the caller (JSON keys); make sure the answer can always be encoded.
    return {
        "detail": safe_for_output(detail),
        "errors": [{"field": safe_for_output(e.field), "message": safe_for_output(e.message)} for e in errors],
    }


def _status_of(exc: InvalidInput) -> int:
    if isinstance(exc, Unauthorized):
        return 401
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, TooManyRequests):
        return 429
    if isinstance(exc, Conflict):  # before Gone: a full response limit is also a closed experience
        return 409
    if isinstance(exc, Gone):
        return 410
    return 400 if isinstance(exc, MalformedInput) else 422


def invalid_input_response(exc: InvalidInput) -> JSONResponse:
    status = _status_of(exc)
    detail = exc.errors[0].message if status in (404, 409, 410, 429) else exc.summary
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return JSONResponse(error_body(detail, exc.errors), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    async def on_invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InvalidInput)
        return invalid_input_response(exc)

    async def on_request_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [FieldError(".".join(str(p) for p in err["loc"] if p != "body"), err["msg"]) for err in exc.errors()]
        return JSONResponse(error_body("the request is not valid", errors), status_code=422)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"detail": exc.detail, "errors": []}, status_code=exc.status_code, headers=exc.headers)

    async def on_storage_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        # The database is down or locked past its busy timeout: nothing was stored; try again.
        log.warning("storage unavailable: %s", type(exc).__name__, extra={"action": "storage_unavailable"})
        body = error_body(
            "storage is unavailable; nothing was stored, retry shortly", [FieldError("storage", "unavailable")]
        )
        return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})

    app.add_exception_handler(OperationalError, on_storage_unavailable)
    app.add_exception_handler(InvalidInput, on_invalid)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(HTTPException, on_http)
