from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class AppError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, details: Any = None, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str = "Missing or invalid API key.", details: Any = None):
        super().__init__(message, details, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"

    def __init__(self, message: str = "This key may not do that.", details: Any = None):
        super().__init__(message, details)


class NotFound(AppError):
    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "Not found.", details: Any = None):
        super().__init__(message, details)


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class VersionConflict(Conflict):
    code = "version_conflict"

    def __init__(self, current_version: int, message: str | None = None):
        super().__init__(
            message
            or "Someone else saved a change first. Refresh to load the latest version, "
            "then apply your change again.",
            {"currentVersion": current_version},
            headers={"ETag": f'"{current_version}"'},
        )
        self.current_version = current_version


class ValidationFailed(AppError):
    """422 with field-level messages: ``details`` is a list of ``{"field", "message"}``."""

    status_code = 422
    code = "validation_failed"

    def __init__(self, message: str, details: list[dict[str, str]] | None = None):
        super().__init__(message, details or [])

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(message, [{"field": field, "message": message}])


class PreconditionRequired(AppError):
    status_code = 428
    code = "precondition_required"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) if parts else "body"


def validation_details(errors: list[Any]) -> list[dict[str, str]]:
    details = []
    for err in errors:
        kind = err.get("type", "")
        if kind == "json_invalid":
            details.append({"field": "body", "message": "The request body is not valid JSON."})
            continue
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        details.append({"field": _field_path(err.get("loc", ())), "message": message})
    return details


def app_error_response(exc: AppError) -> JSONResponse:
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return app_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = validation_details(list(exc.errors()))
        if any(d["message"] == "The request body is not valid JSON." for d in details):
            return JSONResponse(
                error_body("malformed_json", "The request body is not valid JSON.", details),
                status_code=400,
            )
        names = ", ".join(sorted({d["field"] for d in details}))
        return JSONResponse(
            error_body("validation_failed", f"Invalid request: check {names}.", details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error_response(exc)


def http_error_response(exc: StarletteHTTPException) -> JSONResponse:
    """The JSON answer for a routing-level error (unknown path, wrong method)."""
    codes = {404: "not_found", 405: "method_not_allowed"}
    message = "Not found." if exc.status_code == 404 else str(exc.detail)
    return JSONResponse(
        error_body(codes.get(exc.status_code, "http_error"), message),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )
