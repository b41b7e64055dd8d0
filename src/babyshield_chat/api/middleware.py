"""The request's outer layers, outermost first (`middlewares()` fixes the order):

1. the OpenTelemetry server span (`telemetry.tracing.server_span_middleware`),
   continuing an incoming W3C `traceparent`;
2. `trace_id`: the span's trace id on the request and in `X-Trace-Id` of
   whatever response comes back;
3. `observe`: for the chat endpoints, `chat_requests_total`, the request
   histogram and the one `chat_request` log line, from the final status;
4. `errors`: every exception (ours, aiohttp's own 404/405/413, bugs) becomes
   the spec's JSON envelope, so the layers above always see a response;
5. `admission`: requests in flight, load shedding above `BS_MAX_INFLIGHT`
   (503 `overloaded`), and refusal of new work while draining (503 `not_ready`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from babyshield_chat.api.errors import ApiError, from_http_exception, internal_error
from babyshield_chat.api.keys import CHAT_RESULT, ERROR_CODE, TRACE_ID, USER_ID
from babyshield_chat.api.responses import json_response
from babyshield_chat.telemetry import Telemetry
from babyshield_chat.telemetry.logging import CHAT_REQUEST_LOGGED, log_chat_request
from babyshield_chat.telemetry.labels import request_outcome
from babyshield_chat.telemetry.tracing import REQUEST_SPAN_KEY, record_error, server_span_middleware
from babyshield_chat.vocabulary import DEFAULT_MAX_INFLIGHT, NO_INTENT, Endpoint
from babyshield_chat.telemetry.logging import EventLog

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]

log = EventLog("babyshield_chat.http")

# Paths that must answer while draining or overloaded: probes and scrapes.
_ALWAYS_ADMITTED = frozenset({"/healthz", "/readyz", "/metrics"})
# Route → the `endpoint` label of the chat metrics and the chat_request line.
CHAT_ENDPOINTS: dict[str, Endpoint] = {"/api/v1/chat/conversation": "conversation", "/api/v1/chat/explain": "explain"}


class RequestState:
    """Process-wide request accounting shared by the middleware and `/readyz`."""

    def __init__(self, max_inflight: int = DEFAULT_MAX_INFLIGHT) -> None:
        self.inflight = 0
        self.draining = False
        self.max_inflight = max_inflight


def route_template(request: web.Request) -> str:
    """The matched route's template (`/api/v1/chat/conversations/{id}`), never raw ids."""
    info = request.match_info
    resource = info.route.resource if info.http_exception is None else None
    return resource.canonical if resource is not None else "unmatched"


def middlewares(telemetry: Telemetry, state: RequestState, max_body_bytes: int) -> list[Middleware]:
    return [
        server_span_middleware(telemetry.tracer),
        trace_id_middleware,
        observe_middleware(telemetry),
        error_middleware(max_body_bytes),
        admission_middleware(state, telemetry),
    ]


@web.middleware
async def trace_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    context = request[REQUEST_SPAN_KEY].get_span_context()
    # With telemetry off and no incoming traceparent there is no trace id; the
    # header must still carry one an SRE can search the logs for.
    trace_id = format(context.trace_id, "032x") if context.is_valid else secrets.token_hex(16)
    request[TRACE_ID] = trace_id
    response = await handler(request)
    response.headers["X-Trace-Id"] = trace_id
    return response


def observe_middleware(telemetry: Telemetry) -> Middleware:
    metrics = telemetry.metrics

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        endpoint = CHAT_ENDPOINTS.get(route_template(request)) if request.method == "POST" else None
        if endpoint is None:
            return await handler(request)
        started = time.perf_counter()
        response = await handler(request)
        seconds = time.perf_counter() - started
        result = request.get(CHAT_RESULT)
        reply = result.reply if result is not None else None
        blocked = response.status == 403 and request.get(ERROR_CODE) == "chat_disabled"
        outcome = request_outcome(response.status, blocked=blocked, intent=reply and reply.intent,
                                  synthesizer=reply and reply.synthesizer, replayed=bool(result and result.replayed))
        intent = reply.intent if reply is not None else NO_INTENT
        circuit_open = bool(result and result.circuit_open)
        fallback_reason = reply.fallback_reason if reply is not None else None
        metrics.record_request(endpoint, intent, outcome, circuit_open, seconds)
        log_chat_request(
            endpoint=endpoint, intent=intent, outcome=outcome, status_code=response.status, latency_sec=seconds,
            fallback_reason=fallback_reason, circuit_open=circuit_open, blocked=blocked,
            user_hash=telemetry.hash_user(request.get(USER_ID)), span=request[REQUEST_SPAN_KEY],
        )
        request[CHAT_REQUEST_LOGGED] = True
        return response

    return observe


def error_middleware(max_body_bytes: int) -> Middleware:
    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            error = exc
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            error = from_http_exception(exc, max_body_bytes)
        except Exception as exc:  # a bug: log it with the trace id, answer the envelope
            log.exception("unhandled error", route=route_template(request))
            record_error(request[REQUEST_SPAN_KEY], exc)
            error = internal_error()
        request[ERROR_CODE] = error.code
        return json_response(request, error.body(), status=error.status, headers=error.headers)

    return errors


def admission_middleware(state: RequestState, telemetry: Telemetry) -> Middleware:
    telemetry.metrics.observe_inflight(lambda: state.inflight)

    @web.middleware
    async def admission(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in _ALWAYS_ADMITTED:
            return await handler(request)
        if state.draining:
            raise ApiError(503, "not_ready", "This instance is shutting down; retry on another.",
                           headers={"Retry-After": "1"})
        if state.inflight >= state.max_inflight:
            # Shed at once: queueing more work would only make every request late.
            raise ApiError(503, "overloaded", "The service is overloaded; retry shortly.", headers={"Retry-After": "1"})
        state.inflight += 1
        try:
            return await handler(request)
        finally:
            state.inflight -= 1

    return admission
