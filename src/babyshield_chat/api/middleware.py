"""The request's outer layers, outermost first (`middlewares()` fixes the order):

1. the OpenTelemetry server span (`telemetry.tracing.server_span_middleware`),
   continuing an incoming W3C `traceparent`;
2. `trace_id`: the span's trace id on the request and in `X-Trace-Id` of
   whatever response comes back;
3. `observe`: for the chat endpoints, `chat_requests_total`, the request
   histogram and the one `chat_request` log line, from the final status;
4. `errors`: every exception (ours, aiohttp's own 404/405/413, bugs) becomes
   the spec's JSON envelope, so the layers above always see a response;
   while draining, every response also closes its connection;
5. `admission`: the body is read first, within the connection's read
   deadline (408 past it, 400 for a body that cannot be decoded, nothing
   logged as an error when the client goes away), and only then does the
   request count as in flight: a slow client holds no capacity (spec section
   4a). Then load shedding above `BS_MAX_INFLIGHT` (503 `overloaded`) and
   refusal of new work while draining (503 `not_ready`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from babyshield_chat.api.connections import GuardedRequestHandler
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
# nginx's status for a request whose client went away before the answer: a client error, never a 5xx.
CLIENT_CLOSED_REQUEST = 499
# Route → the `endpoint` label of the chat metrics and the chat_request line.
CHAT_ENDPOINTS: dict[str, Endpoint] = {"/api/v1/chat/conversation": "conversation", "/api/v1/chat/explain": "explain"}


class RequestState:
    """Process-wide request accounting shared by the middleware and `/readyz`."""

    def __init__(self, max_inflight: int = DEFAULT_MAX_INFLIGHT) -> None:
        self.inflight = 0
        self.draining = False
        self.max_inflight = max_inflight

    @property
    def overloaded(self) -> bool:
        return self.inflight >= self.max_inflight


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
        error_middleware(state, max_body_bytes),
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
                                  synthesizer=reply and reply.synthesizer, replayed=bool(result and result.replayed),
                                  draining=response.status == 503 and request.get(ERROR_CODE) == "not_ready")
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


def error_middleware(state: RequestState, max_body_bytes: int) -> Middleware:
    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except ApiError as exc:
            response = _error_response(request, exc)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = _error_response(request, from_http_exception(exc, max_body_bytes))
        except Exception as exc:  # a bug: log it with the trace id, answer the envelope
            log.exception("unhandled error", route=route_template(request))
            record_error(request[REQUEST_SPAN_KEY], exc)
            response = _error_response(request, internal_error())
        if state.draining:
            # The client reconnects (elsewhere) for its next request instead of reusing a closing connection.
            response.force_close()
        return response

    return errors


def _error_response(request: web.Request, error: ApiError) -> web.Response:
    request[ERROR_CODE] = error.code
    response = json_response(request, error.body(), status=error.status, headers=error.headers)
    if error.close_connection:
        response.force_close()
    return response


def admission_middleware(state: RequestState, telemetry: Telemetry) -> Middleware:
    telemetry.metrics.observe_inflight(lambda: state.inflight)

    @web.middleware
    async def admission(request: web.Request, handler: Handler) -> web.StreamResponse:
        connection = request.protocol if isinstance(request.protocol, GuardedRequestHandler) else None
        if connection is not None:
            connection.request_started()  # the connection counts it as over once the response is written
        _refuse_undecodable_headers(request)
        await _read_body(request, connection)
        if request.path in _ALWAYS_ADMITTED:
            return await handler(request)
        if state.draining:
            raise ApiError(503, "not_ready", "This instance is shutting down; retry on another.",
                           headers={"Retry-After": "1"})
        if state.overloaded:
            # Shed at once: queueing more work would only make every request late.
            raise ApiError(503, "overloaded", "The service is overloaded; retry shortly.",
                           headers={"Retry-After": "1"})
        state.inflight += 1
        try:
            return await handler(request)
        finally:
            state.inflight -= 1

    return admission


def _refuse_undecodable_headers(request: web.Request) -> None:
    """Header bytes that are not UTF-8 are the client's 400 (401 for credentials), at the edge (spec section 4a).

    aiohttp keeps such bytes as surrogate escapes; anything that later encodes
    the value (PyJWT, the admin token's digest, a log line) would fail with a 500.
    """
    for name, value in request.headers.items():
        if value.isascii():
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            if name.lower() == "authorization":
                raise ApiError(401, "invalid_token", "The credentials were refused: the Authorization header "
                               "is not valid UTF-8.") from None
            raise ApiError(400, "invalid_request", f"The {name[:64]} header is not valid UTF-8.",
                           details=[{"field": name[:64], "problem": "not valid UTF-8"}]) from None


async def _read_body(request: web.Request, connection: GuardedRequestHandler | None) -> None:
    """The whole body, before the request takes capacity; handlers then get it from memory.

    Past the size limit `request.read()` raises aiohttp's 413 itself. A body
    that was not read whole also ends its connection right after the answer.
    """
    if not request.body_exists:
        return
    deadline = connection.read_deadline() if connection is not None else None
    try:
        async with asyncio.timeout_at(deadline):
            await request.read()
    except TimeoutError:
        error = ApiError(408, "request_timeout", "The request body did not arrive in time.")
    except RequestPayloadError:
        # A body aiohttp could not decode: gzip that is not gzip, a broken chunked encoding.
        error = ApiError(400, "invalid_request", "The request body could not be decoded "
                         "(check Content-Encoding and Transfer-Encoding).")
    except ConnectionError:
        # The client went away mid-body: nobody to answer, nothing failed. Recorded as 499, a client error.
        error = ApiError(CLIENT_CLOSED_REQUEST, "client_closed_request", "The client closed the connection.")
    else:
        return
    error.close_connection = True
    if connection is not None:
        connection.close_after_response()
    raise error
