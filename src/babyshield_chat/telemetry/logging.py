"""JSON logs: one object per line on stdout, correlated with traces.

`configure_logging` puts a `JsonFormatter` on the stdlib root logger, so every
library's log lines come out in the same shape:

    {"ts": "2025-01-31T12:00:00.123Z", "level": "info", "event": "...",
     ..., "trace_id": "...", "span_id": "...",
     "service": "babyshield-chat", "version": "0.1.0", "env": "production"}

`trace_id`/`span_id` come from the span current when the line is written, so
every line inside a request carries them.

The service logs in one way, through `EventLog`:

    log = EventLog("babyshield_chat.pipeline")
    log.warning("memory not saved", error=type(exc).__name__)

The keyword arguments are the event's fields: they reach the JSON line and,
through the same formatter, the OTLP log record (`log_export`). Names the
formatter owns (`ts`, `level`, `event`, ...) cannot be fields. Lines from
other libraries (stdlib `logging`) are free text and carry `logger` (the
stdlib logger's name) instead of fields.

`log_chat_request` writes the one `chat_request` line per chat request that
the CloudWatch metric filters count; `JsonAccessLogger` replaces aiohttp's
text access log.

Privacy: user ids only ever appear as `user_hash` (keyed HMAC). Exception
messages are left out of log lines (only the type and stack frames are kept)
because validation and provider errors can echo message text or answers.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from typing import IO, Any, Final

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from opentelemetry.trace import Span, get_current_span

from babyshield_chat.telemetry import labels
from babyshield_chat.telemetry.pseudonyms import DEFAULT_USER_HASH_HEX_CHARS, UserHash
from babyshield_chat.config import TelemetrySettings
from babyshield_chat.telemetry.tracing import REQUEST_SPAN_KEY, http_method, http_route, span_id_hex, trace_id_hex

#: `extra=` key carrying a line's structured fields.
FIELDS_ATTR: Final = "fields"

#: Libraries whose INFO lines are noise here: the OpenAI client's HTTP layer
#: logs "HTTP Request: POST .../chat/completions 200" for every LLM call,
#: which doubled the lines (and their cost) per chat request; the call is
#: already counted in `chat_llm_requests_total` and traced as `chat {model}`.
QUIET_LOGGERS: Final = {"httpx2": logging.WARNING, "httpcore2": logging.WARNING}

CHAT_REQUEST_EVENT: Final = "chat_request"
HTTP_REQUEST_EVENT: Final = "http_request"
CHAT_REQUEST_LOGGER: Final = "babyshield_chat.requests"

# What `user_hash` produces; anything else in that field is not written.
_USER_HASH = re.compile(rf"[0-9a-f]{{{DEFAULT_USER_HASH_HEX_CHARS}}}")

# Fields the formatter owns: a caller's `fields` cannot overwrite them.
_ENVELOPE = ("ts", "level", "event", "logger", "service", "version", "env")
_MARK = "_babyshield_json_handler"
_FORMATTED_ATTR = "_babyshield_json_line"


def rfc3339_utc(timestamp: float) -> str:
    """`2025-01-31T12:00:00.123Z`: RFC 3339, UTC, milliseconds."""
    millis = int(timestamp * 1000) % 1000
    return f"{_utc_seconds(int(timestamp))}.{millis:03d}Z"


@functools.lru_cache(maxsize=4)
def _utc_seconds(seconds: int) -> str:
    # Every line of the same second shares this prefix; strftime is the costly part.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


# One encoder for every line: `json.dumps` with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


class JsonFormatter(logging.Formatter):
    """Formats a record as one compact JSON object (no newlines inside)."""

    def __init__(self, *, service: str, version: str, env: str) -> None:
        super().__init__()
        self._identity = {"service": service, "version": version, "env": env}

    def format(self, record: logging.LogRecord) -> str:
        # stdout and the OTLP handler format the same record: encode it once.
        cached = getattr(record, _FORMATTED_ATTR, None)
        if cached is not None and cached[0] is self:
            return cached[1]
        line = self._format(record)
        setattr(record, _FORMATTED_ATTR, (self, line))
        return line

    def _format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": rfc3339_utc(record.created),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        fields = getattr(record, FIELDS_ATTR, None)
        if isinstance(fields, Mapping):
            # A structured event names itself and carries exactly its fields
            # (the `chat_request` line is a public schema).
            payload.update((key, value) for key, value in fields.items() if key not in _ENVELOPE)
        else:
            # A free-text line says which library wrote it.
            payload["logger"] = record.name
        if "trace_id" not in payload:
            span_context = get_current_span().get_span_context()
            if span_context.is_valid:
                payload["trace_id"] = format(span_context.trace_id, "032x")
                payload["span_id"] = format(span_context.span_id, "016x")
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, exc_tb = record.exc_info
            payload["exc_type"] = f"{exc_type.__module__}.{exc_type.__qualname__}"
            payload["exc_stack"] = "".join(traceback.format_tb(exc_tb))
        suppressed = getattr(record, SUPPRESSED_ATTR, 0)
        if suppressed:
            payload["suppressed_similar"] = suppressed
        payload.update(self._identity)
        return _ENCODE(payload)


#: Record attribute: how many lines like this one `RepeatLimiter` dropped before it.
SUPPRESSED_ATTR: Final = "_babyshield_suppressed"


class RepeatLimiter(logging.Filter):
    """Caps repeated WARNING and ERROR lines: at most `burst` of one kind per `window_sec`.

    A kind is the logger and the event. A flood of one client error (a
    thousand sockets refused, a storm of malformed requests) must not write
    thousands of lines a second, bury the one line that matters and cost
    CPU in the process under attack. The next line of a kind that had some
    dropped says how many (`suppressed_similar`). `chat_request` lines are
    never limited: CloudWatch counts them.
    """

    def __init__(self, burst: int = 20, window_sec: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._burst, self._window_sec, self._clock = burst, window_sec, clock
        self._kinds: dict[tuple[str, object], list[float | int]] = {}  # kind → [window start, passed, dropped]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.name == CHAT_REQUEST_LOGGER:
            return True
        now = self._clock()
        kind = (record.name, record.msg)
        state = self._kinds.get(kind)
        if state is None or now - state[0] >= self._window_sec:
            dropped = int(state[2]) if state is not None else 0
            if len(self._kinds) > MAX_LIMITED_KINDS:
                self._kinds.clear()
            self._kinds[kind] = [now, 1, 0]
            if dropped:
                setattr(record, SUPPRESSED_ATTR, dropped)
            return True
        if state[1] < self._burst:
            state[1] += 1
            return True
        state[2] += 1
        return False


# Kinds are code's own (logger, event); this only bounds the table against a runaway.
MAX_LIMITED_KINDS = 1000


class EventLog:
    """Logs events with fields: `log.info("listening", host=host, port=port)`.

    The one way the package logs (a test fails on any other): the fields
    travel in the record under `FIELDS_ATTR`, where `JsonFormatter` reads
    them, so none is lost the way a flat `extra={...}` loses them.
    `exc_info=True` (or `exception()`) adds the exception's type and stack.
    """

    __slots__ = ("_logger",)

    def __init__(self, name: str) -> None:
        self._logger = logging.getLogger(name)

    @property
    def name(self) -> str:
        return self._logger.name

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, fields, False)

    def info(self, event: str, *, exc_info: bool = False, **fields: Any) -> None:
        self._log(logging.INFO, event, fields, exc_info)

    def warning(self, event: str, *, exc_info: bool = False, **fields: Any) -> None:
        self._log(logging.WARNING, event, fields, exc_info)

    def error(self, event: str, *, exc_info: bool = False, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields, exc_info)

    def exception(self, event: str, **fields: Any) -> None:
        """An ERROR line with the exception being handled (call it from an `except` block)."""
        self._log(logging.ERROR, event, fields, True)

    def _log(self, level: int, event: str, fields: dict[str, Any], exc_info: bool) -> None:
        if self._logger.isEnabledFor(level):
            # stacklevel 3: the line's source is the caller of info()/warning()/..., not this module.
            self._logger.log(level, event, exc_info=exc_info, extra={FIELDS_ATTR: fields}, stacklevel=3)


class LoopFlushedStreamHandler(logging.StreamHandler):
    """A `StreamHandler` that flushes once per event-loop turn instead of once per line.

    Under load one turn of the loop finishes many requests, each writing its
    `chat_request` line: they now reach stdout in one write, not one each (a
    flush per line was about 20 µs, a tenth of a blocked request's CPU). A
    line is still out before the loop does anything else; lines written with
    no loop running in the thread (start-up, shutdown, other threads) are
    flushed at once, as before.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self._flush_pending_on: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        # A loop that stopped before its flush ran is not waited for: this one flushes.
        if self._flush_pending_on is not loop:
            self._flush_pending_on = loop
            loop.call_soon(self._flush_turn)

    def _flush_turn(self) -> None:
        self._flush_pending_on = None
        try:
            self.flush()
        except (OSError, ValueError):
            pass  # stdout closed or broken: there is nowhere left to write


def configure_logging(
    settings: TelemetrySettings,
    stream: IO[str] | None = None,
    *,
    level: int = logging.INFO,
    otlp_handler: logging.Handler | None = None,
) -> tuple[logging.Handler, ...]:
    """Sends the root logger's records as JSON lines to `stream` (default stdout).

    `otlp_handler` (`Telemetry.log_handler`) additionally forwards the same
    JSON lines to the OTLP logs pipeline. Calling this again replaces the
    handlers an earlier call installed; other handlers are left alone.
    Returns the installed handlers.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
    formatter = JsonFormatter(service=settings.service_name, version=settings.service_version, env=settings.environment)
    # sys.stdout is looked up now, not at import, so a replaced stdout is honoured.
    installed: list[logging.Handler] = [LoopFlushedStreamHandler(stream if stream is not None else sys.stdout)]
    if otlp_handler is not None:
        installed.append(otlp_handler)
    for handler in installed:
        handler.setFormatter(formatter)
        handler.addFilter(RepeatLimiter())  # one each: both see the same records, so both decide alike
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(level)
    # The JSON lines carry no thread or process names: skip collecting them
    # for every record (the Logging HOWTO's "Optimization" switches).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for name, quiet_level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet_level)
    # Python warnings become JSON lines too, instead of raw stderr text.
    logging.captureWarnings(True)
    return tuple(installed)


def log_chat_request(
    *,
    endpoint: str,
    intent: str,
    outcome: str,
    status_code: int,
    latency_sec: float,
    fallback_reason: str | None,
    circuit_open: bool,
    blocked: bool,
    user_hash: UserHash | None,
    span: Span | None = None,
    logger: logging.Logger | None = None,
) -> None:
    """Writes the request's single `chat_request` line (spec section 5).

    Label-like fields go through the same closed sets as the metrics, so the
    log-based CloudWatch metrics and the Prometheus ones count alike. `span`
    defaults to the current span; pass the server span when logging after it
    ended. Requests answered with a 5xx are logged at level `error`.

    `user_hash` must come from `user_hash()` / `Telemetry.hash_user()`; a
    value that is not such a hash (a raw id passed by mistake) is logged as
    null rather than written out.
    """
    current = span if span is not None else get_current_span()
    outcome_label = labels.REQUEST_OUTCOME.normalize(outcome)
    fields = {
        "endpoint": labels.ENDPOINT.normalize(endpoint),
        "intent": labels.REQUEST_INTENT.normalize(intent),
        "outcome": outcome_label,
        "status_code": int(status_code),
        "latency_ms": max(0, round(latency_sec * 1000)),
        "trace_id": trace_id_hex(current),
        "span_id": span_id_hex(current),
        "fallback": fallback_reason is not None,
        "fallback_reason": None if fallback_reason is None else labels.FALLBACK_REASON.normalize(fallback_reason),
        "circuit_open": bool(circuit_open),
        "blocked": bool(blocked),
        "user_hash": user_hash if user_hash is not None and _USER_HASH.fullmatch(user_hash) else None,
    }
    level = logging.ERROR if outcome_label == "error" else logging.INFO
    logger = logger or logging.getLogger(CHAT_REQUEST_LOGGER)
    if logger.isEnabledFor(level):
        # makeRecord + handle is what `logger.log` does, minus the stack walk
        # that finds the caller's file and line: one line per chat request,
        # always from here, so it would only cost time.
        record = logger.makeRecord(logger.name, level, __file__, 0, CHAT_REQUEST_EVENT, (), None,
                                   extra={FIELDS_ATTR: fields})
        logger.handle(record)


#: Set on a request once its `chat_request` line is written; the access log then skips it.
CHAT_REQUEST_LOGGED = web.RequestKey("chat_request_logged", bool)


class JsonAccessLogger(AbstractAccessLogger):
    """aiohttp access log as JSON lines: `web.AppRunner(app, access_log_class=JsonAccessLogger)`.

    aiohttp calls `log` after the response is sent, outside the request's
    context, so the span is read from `request[REQUEST_SPAN_KEY]` (set by
    `server_span_middleware`) rather than from the current context. The
    route template is logged, never the raw path (it holds conversation ids).
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if request.get(CHAT_REQUEST_LOGGED):
            return  # its chat_request line replaces the access line (spec section 5 allows either)
        fields: dict[str, Any] = {
            "method": http_method(request),
            "route": http_route(request),
            "status": response.status,
            "latency_ms": max(0, round(time * 1000)),
        }
        span = request.get(REQUEST_SPAN_KEY)
        if isinstance(span, Span):
            fields["trace_id"] = trace_id_hex(span)
            fields["span_id"] = span_id_hex(span)
        self.logger.info(HTTP_REQUEST_EVENT, extra={FIELDS_ATTR: fields})

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
