"""Typed errors: one class per kind of failure the caller may want to handle differently."""

from __future__ import annotations

from typing import Any

import httpx


class AllotmentError(Exception):
    """Base of every error this client raises."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.details = details


class AuthenticationError(AllotmentError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDenied(AllotmentError):
    """403: the key is valid but may not do this."""


class NotFoundError(AllotmentError):
    """404: no such tenant or feature, or one this key may not see (the server won't say which)."""


class ConflictError(AllotmentError):
    """409: a stale version or a clashing write."""


class ValidationError(AllotmentError):
    """400 or 422: the request was rejected as invalid; ``details`` lists the fields."""


class ServerUnavailable(AllotmentError):
    """The server answered 5xx or 429 on every attempt."""


class TransportError(ServerUnavailable):
    """No answer at all on every attempt: connection refused, timeout, broken connection."""


_BY_STATUS: dict[int, type[AllotmentError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: ServerUnavailable,
}


def error_for(response: httpx.Response) -> AllotmentError:
    """The typed error for a non-2xx answer, keeping the server's ``{"error": {...}}`` fields."""
    status = response.status_code
    code: str | None = None
    details: Any = None
    message = f"HTTP {status} from {response.request.method} {response.request.url.path}"
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code") if isinstance(error.get("code"), str) else None
        message = str(error.get("message") or message)
        details = error.get("details")
    kind = _BY_STATUS.get(status) or (ServerUnavailable if status >= 500 else AllotmentError)
    return kind(message, status_code=status, code=code, details=details)
