"""The error envelope of spec section 1 and the exception that carries it.

Handlers raise `ApiError`; the error middleware turns it (and aiohttp's own
HTTP exceptions, and any bug) into
`{"error": {"code", "message", "details"?}, "trace_id"}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

# Status → code for aiohttp's own exceptions (unknown path, wrong method, ...).
_CODES_BY_STATUS: Mapping[int, tuple[str, str]] = {
    400: ("invalid_request", "The request could not be understood."),
    401: ("auth_required", "Authentication is required."),
    403: ("forbidden", "You are not allowed to do this."),
    404: ("not_found", "There is nothing at this path."),
    405: ("method_not_allowed", "This method is not allowed on this path."),
    408: ("request_timeout", "The request did not arrive in time."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "The request body must be JSON (Content-Type: application/json)."),
    429: ("rate_limited", "Too many requests; retry later."),
    503: ("not_ready", "The service is not ready; retry later."),
}


class ApiError(Exception):
    """An error a client can act on, with the spec's status and code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        close_connection: bool = False,
    ) -> None:
        """`close_connection`: the connection cannot carry another request (its body was not read whole)."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details) if details else None
        self.headers = dict(headers or {})
        self.close_connection = close_connection

    def body(self) -> dict[str, Any]:
        """The envelope without `trace_id`, which `json_response` adds."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def from_http_exception(exc: web.HTTPException, max_body_bytes: int) -> ApiError:
    """Wrap aiohttp's own 4xx/5xx (404 on unknown paths, 405, 413) in the envelope."""
    code, message = _CODES_BY_STATUS.get(exc.status, ("internal_error", "The server failed to answer."))
    if exc.status == 405 and isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        message = f"Method {exc.method} is not allowed here; allowed: {allowed}."
    elif exc.status == 413:
        message = f"The request body is larger than the limit of {max_body_bytes} bytes."
    headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
    return ApiError(exc.status, code, message, headers=headers)


def internal_error() -> ApiError:
    return ApiError(500, "internal_error", "The server failed to answer; the error was logged with this trace id.")


def invalid_json(problem: str) -> ApiError:
    return ApiError(400, "invalid_json", f"The request body is not a JSON object: {problem}.")


def not_found(what: str = "There is nothing at this path.") -> ApiError:
    return ApiError(404, "not_found", what)
