"""Span helpers for the app and the chat pipeline.

* `server_span_middleware(tracer)`: one SERVER span per request, continuing
  the caller's W3C `traceparent`, with stable HTTP semantic-convention
  attributes. It stores the span on the request under `REQUEST_SPAN_KEY`
  (an aiohttp RequestKey named "otel_span"): that is the contract with the
  access logger and with the app's error handling, which reads the trace id
  for `X-Trace-Id` from it, also after the span has ended.
* `llm_span`, `tool_span`, `db_span`: CLIENT/INTERNAL child spans named and
  attributed per the GenAI and database conventions.
* `flag_evaluation_event`, `record_short_circuit`, `record_fallback`: span
  events the dashboards and runbooks refer to.

Every tracer is passed in: nothing here touches the global tracer provider,
so tests can build many apps, each with its own provider, in one process.

Privacy: spans never carry message text, answers, profiles or user ids.
That is why errors are recorded by `record_error`, which keeps the exception
type and stack frames but drops the exception message (validation errors and
provider errors can echo user text or model output).
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Final

from aiohttp import web
from opentelemetry.context import Context, attach, detach
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, get_current_span, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from babyshield_chat.telemetry import labels

#: Where the middleware stores the server span: `request[REQUEST_SPAN_KEY]`.
#: A typed aiohttp RequestKey named "otel_span" (a plain string key would
#: work too, but aiohttp warns on those and type checkers cannot follow them).
REQUEST_SPAN_KEY: Final = web.RequestKey("otel_span", Span)

DEFAULT_GEN_AI_SYSTEM: Final = "openai"
DEFAULT_FLAG_EVENT: Final = "feature_flag.evaluation"

_KNOWN_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
_OTHER_METHOD = "_OTHER"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


# -- identifiers ----------------------------------------------------------


def trace_id_hex(span: Span) -> str:
    """The span's trace id as 32 lowercase hex digits (all zeros if not recording)."""
    return format(span.get_span_context().trace_id, "032x")


def span_id_hex(span: Span) -> str:
    return format(span.get_span_context().span_id, "016x")


# -- HTTP server ----------------------------------------------------------


def http_method(request: web.BaseRequest) -> str:
    """The request method, or `_OTHER` for non-standard ones (client input)."""
    return request.method if request.method in _KNOWN_METHODS else _OTHER_METHOD


def http_route(request: web.BaseRequest) -> str | None:
    """The matched route template (`/api/v1/chat/conversations/{id}`), never the raw path.

    None when nothing matched (404, 405): the raw path could hold anything.
    """
    try:
        match_info = request.match_info  # type: ignore[attr-defined]
    except (AttributeError, AssertionError):
        # A BaseRequest has none; a request aiohttp refused before routing (a malformed
        # request line or header) asserts that it was never routed.
        return None
    resource = getattr(getattr(match_info, "route", None), "resource", None)
    return None if resource is None else resource.canonical


def server_span_middleware(tracer: Tracer, *, propagator: TextMapPropagator | None = None) -> Middleware:
    """An aiohttp middleware wrapping each request in a SERVER span.

    Install it first (outermost) so the span covers every other middleware
    and any log line written inside the request carries its ids.
    """
    propagator = propagator if propagator is not None else TraceContextTextMapPropagator()
    carrier_fields = tuple(propagator.fields)

    @web.middleware
    async def server_span(request: web.Request, handler: Handler) -> web.StreamResponse:
        method = http_method(request)
        route = http_route(request)
        # Span name per HTTP semconv: "{method} {route}", "HTTP" for unknown methods.
        name_method = "HTTP" if method == _OTHER_METHOD else method
        name = f"{name_method} {route}" if route else name_method
        # Only a request carrying the propagator's headers has a trace to continue; the
        # others get an empty Context (not None), so nothing current in the server leaks in.
        headers = request.headers
        parent = propagator.extract(headers) if any(field in headers for field in carrier_fields) else Context()
        # Started and made current by hand: `start_as_current_span` wraps two
        # generator context managers around the same steps, on every request.
        span = tracer.start_span(name, context=parent, kind=SpanKind.SERVER,
                                 record_exception=False, set_status_on_exception=False)
        if span.is_recording():
            # An unsampled span would drop them: skip building them (and `request.url`).
            # Set after the start, so samplers do not see them (the standard ones do not look).
            span.set_attributes(_http_attributes(request, method, route))
        request[REQUEST_SPAN_KEY] = span
        token = attach(set_span_in_context(span, parent))
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            # aiohttp turns these into responses; 404/405 from the router arrive here too.
            _set_response_status(span, exc.status)
            raise
        except Exception as exc:
            # aiohttp answers an unhandled exception with a 500.
            _set_response_status(span, 500)
            record_error(span, exc)
            raise
        else:
            _set_response_status(span, response.status)
            return response
        finally:
            detach(token)
            span.end()

    return server_span


def _http_attributes(request: web.BaseRequest, method: str, route: str | None) -> dict[str, str | int]:
    """The server span's HTTP semantic-convention attributes."""
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "url.path": request.path,
        "url.scheme": request.scheme,
        "network.protocol.version": f"{request.version.major}.{request.version.minor}",
    }
    if method == _OTHER_METHOD:
        attributes["http.request.method_original"] = request.method[:32]
    if route:
        attributes["http.route"] = route
    if request.url.host:
        attributes["server.address"] = request.url.host
    if request.url.port:
        attributes["server.port"] = request.url.port
    return attributes


def _set_response_status(span: Span, status: int) -> None:
    if not span.is_recording():
        return
    span.set_attribute("http.response.status_code", status)
    # Server spans: only 5xx are errors; a 4xx is the client's (semconv).
    if status >= 500:
        span.set_attribute("error.type", str(status))
        span.set_status(Status(StatusCode.ERROR))


def record_error(span: Span, exc: BaseException) -> None:
    """Marks `span` failed by `exc`, without the exception's message."""
    if not span.is_recording():
        return  # formatting the stack for a span nobody keeps is the costly part
    error_type = type(exc).__qualname__
    span.set_attribute("error.type", error_type)
    span.set_status(Status(StatusCode.ERROR, error_type))
    span.add_event(
        "exception",
        {
            "exception.type": f"{type(exc).__module__}.{error_type}",
            "exception.stacktrace": "".join(traceback.format_tb(exc.__traceback__)),
        },
    )


# -- pipeline spans -------------------------------------------------------


@dataclass(frozen=True)
class LlmSpan:
    """The span of one LLM call, with the GenAI usage setters."""

    span: Span

    def set_usage(self, input_tokens: int, output_tokens: int) -> None:
        self.span.set_attribute("gen_ai.usage.input_tokens", input_tokens)
        self.span.set_attribute("gen_ai.usage.output_tokens", output_tokens)


@contextmanager
def llm_span(
    tracer: Tracer,
    model: str,
    *,
    operation: str = "chat",
    system: str = DEFAULT_GEN_AI_SYSTEM,
) -> Iterator[LlmSpan]:
    """A CLIENT span `"{operation} {model}"` (spec: `chat {model}`) for one LLM call."""
    attributes = {"gen_ai.system": system, "gen_ai.operation.name": operation, "gen_ai.request.model": model}
    with _child_span(tracer, f"{operation} {model}", SpanKind.CLIENT, attributes) as span:
        yield LlmSpan(span)


def tool_span(tracer: Tracer, tool: str) -> AbstractContextManager[Span]:
    """The span `execute_tool {name}` of one tool run (GenAI tool convention)."""
    name = labels.TOOL.normalize(tool)
    attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}
    return _child_span(tracer, f"execute_tool {name}", SpanKind.INTERNAL, attributes)


def db_span(tracer: Tracer, operation: str, table: str) -> AbstractContextManager[Span]:
    """A CLIENT span for one PostgreSQL statement, named `"{operation} {table}"`.

    Only the operation and table are recorded, never the query text or its
    parameters (they hold user ids and message content).
    """
    attributes = {"db.system.name": "postgresql", "db.operation.name": operation, "db.collection.name": table}
    return _child_span(tracer, f"{operation} {table}", SpanKind.CLIENT, attributes)


@contextmanager
def _child_span(tracer: Tracer, name: str, kind: SpanKind, attributes: dict[str, str]) -> Iterator[Span]:
    # Started and made current by hand, like the server span: one generator
    # per child span instead of the three of `start_as_current_span`.
    span = tracer.start_span(name, kind=kind, attributes=attributes,
                             record_exception=False, set_status_on_exception=False)
    token = attach(set_span_in_context(span))
    try:
        yield span
    except BaseException as exc:
        # BaseException on purpose: a stage cut by its deadline is
        # cancelled (CancelledError), and that span must read as failed.
        record_error(span, exc)
        raise
    finally:
        detach(token)
        span.end()


# -- events ---------------------------------------------------------------


def flag_evaluation_event(span: Span, key: str, variant: str, reason: str) -> None:
    """Records a flag decision per the feature-flag semconv, on `span`.

    Both as the `feature_flag.evaluation` event and as span attributes, so
    the decision is searchable in trace backends that do not index events.
    `reason` is the gate's own (`rollout_included`, `denylisted`, ...). The
    evaluation context id (the user) is deliberately not recorded.
    """
    attributes = {
        "feature_flag.key": key,
        "feature_flag.result.variant": variant,
        "feature_flag.result.reason": reason,
    }
    span.set_attributes(attributes)
    span.add_event(DEFAULT_FLAG_EVENT, attributes)


def record_short_circuit(breaker: str, span: Span | None = None) -> None:
    """A `breaker.short_circuit` event: the call was refused by an open breaker."""
    _event(span, "breaker.short_circuit", {"chat.breaker": labels.BREAKER.normalize(breaker)})


def record_fallback(reason: str, span: Span | None = None) -> None:
    """A `fallback` event: the fallback writer answered, for `reason`."""
    _event(span, "fallback", {"chat.fallback.reason": labels.FALLBACK_REASON.normalize(reason)})


def _event(span: Span | None, name: str, attributes: dict[str, str | int | float]) -> None:
    (span if span is not None else get_current_span()).add_event(name, attributes)
