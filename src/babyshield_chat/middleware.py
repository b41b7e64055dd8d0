"""The request's outer layers: server span and trace id, error envelope, admission.

Order matters and is fixed by `middlewares()`:

1. `trace` opens the OpenTelemetry server span (continuing an incoming W3C
   `traceparent`) and stamps `X-Trace-Id` on whatever response comes back.
2. `errors` turns every exception (ours, aiohttp's own 404/405/413, bugs)
   into the spec's JSON envelope, so `trace` always sees a response.
3. `admission` counts requests in flight and refuses new work while the
   process drains.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .api.errors import ApiError, from_http_exception, internal_error
from .api.responses import TRACE_ID_KEY, json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SPAN_KEY = web.RequestKey("otel_span", trace.Span)
ERROR_CODE_KEY = web.RequestKey("error_code", str)
log = logging.getLogger("babyshield_chat.http")

# Paths that must answer while draining or overloaded: probes and scrapes.
_ALWAYS_ADMITTED = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestState:
    """Process-wide request accounting shared by the middleware and `/readyz`."""

    def __init__(self) -> None:
        self.inflight = 0
        self.draining = False


def route_template(request: web.Request) -> str:
    """The matched route's template (`/api/v1/chat/conversations/{id}`), never raw ids."""
    info = request.match_info
    resource = info.route.resource if info.http_exception is None else None
    return resource.canonical if resource is not None else "unmatched"


def trace_middleware(tracer: trace.Tracer) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def trace_mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_template(request)
        parent = propagate.extract(request.headers)
        attributes = {
            "http.request.method": request.method,
            "url.path": request.path,
            "http.route": route,
            "url.scheme": request.scheme,
        }
        with tracer.start_as_current_span(
            f"{request.method} {route}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            context = span.get_span_context()
            # A no-op tracer without a parent has no trace id; the header must still carry one.
            trace_id = format(context.trace_id, "032x") if context.is_valid else secrets.token_hex(16)
            request[TRACE_ID_KEY] = trace_id
            request[SPAN_KEY] = span
            response = await handler(request)
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            response.headers["X-Trace-Id"] = trace_id
            return response

    return trace_mw


def error_middleware(max_body_bytes: int) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def error_mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            error = exc
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            error = from_http_exception(exc, max_body_bytes)
        except Exception as exc:  # a bug: log it with the trace id, answer the envelope
            log.exception("unhandled error", extra={"route": route_template(request)})
            span = request.get(SPAN_KEY)
            if span is not None:
                span.record_exception(exc)
            error = internal_error()
        request[ERROR_CODE_KEY] = error.code
        return json_response(request, error.body(), status=error.status, headers=error.headers)

    return error_mw


def admission_middleware(state: RequestState) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def admission_mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in _ALWAYS_ADMITTED:
            return await handler(request)
        if state.draining:
            raise ApiError(503, "not_ready", "This instance is shutting down; retry on another.", headers={"Retry-After": "1"})
        state.inflight += 1
        try:
            return await handler(request)
        finally:
            state.inflight -= 1

    return admission_mw
