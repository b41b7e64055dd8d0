"""Client connections: how long a client may take, how many sockets it may hold, and aiohttp's own 400s.

Spec section 4a: slow or idle clients cannot hold capacity. aiohttp alone
keeps a socket that sends nothing, or sends a header a byte a minute, for as
long as the client likes. `GuardedRequestHandler` (aiohttp's `RequestHandler`
with these rules; `server.serve_app` installs it) adds:

- a **read deadline**: once the first byte of a request arrives, its headers
  and body must be complete within `BS_CLIENT_READ_TIMEOUT_SEC`. A request
  still in its headers then gets 408 `request_timeout` and the connection is
  closed; a request whose handler is reading the body gets the same 408 from
  the admission middleware, which reads the body under
  `read_deadline()`. A new connection that sends nothing in that time is
  closed without a word (there is no request to answer);
- the **keep-alive timeout**: an idle connection between requests is closed
  after `BS_KEEPALIVE_TIMEOUT_SEC` (75 s, above a load balancer's 60 s, so
  the balancer closes first and never reuses a connection being closed);
- a **connection cap** below the process's file-descriptor limit
  (`ConnectionSlots`): at the cap, a new connection evicts the connection
  idle the longest, or is answered 503 `overloaded` and closed when none is
  idle, so `accept()` never fails with EMFILE and `/healthz` stays reachable
  however many anonymous sockets are open;
- aiohttp's own **low-level 400s** (a bad request line, an oversized or
  undecodable header) as the spec's error envelope with an `X-Trace-Id`,
  never echoing what the client sent (aiohttp's text quotes the offending
  header, an `Authorization` value included), logged as one WARNING line
  without a traceback. Errors a client causes on the wire (a body that is
  not valid gzip, a disconnect) are WARNINGs too; only the server's own
  faults are ERRORs.

The handler never reads private state of aiohttp's: it watches the bytes
arriving (`data_received`), is told by the admission middleware when a
request's handler starts, and counts a request as over once its response is
written (`finish_response`). The drain (`server.drain`) closes only
connections kept alive between requests (`ConnectionSlots.between_requests`),
and only while no byte of a next request waits at the socket: a new
connection that has not sent its first request is not idle to the drain,
since its client connected to send one.
"""

from __future__ import annotations

import asyncio
import collections
import json
import secrets
import select
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from babyshield_chat.api.errors import ApiError
from babyshield_chat.telemetry.logging import EventLog

log = EventLog("babyshield_chat.http.connections")

# Exceptions a client causes on the wire: a WARNING, never an ERROR with a traceback.
_CLIENT_FAULTS = (HttpProcessingError, RequestPayloadError, ConnectionError)
_LOW_LEVEL_MESSAGES = {
    400: "The request is not valid HTTP (request line or headers).",
    408: "The request did not arrive in time; the connection is closed.",
    413: "The request line or a header is too large.",
    503: "The service is overloaded; retry shortly.",
}


class ConnectionSlots:
    """The open connections of one process, up to `limit`, least recently idle first."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit!r}")
        self.limit = limit
        self._open: collections.OrderedDict[GuardedRequestHandler, None] = collections.OrderedDict()
        self.evicted = 0
        self.refused = 0

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, handler: GuardedRequestHandler) -> bool:
        """Take a slot for `handler`, evicting the longest-idle connection at the cap; False when none is idle."""
        if len(self._open) >= self.limit:
            victim = next((h for h in self._open if h.idle), None)
            if victim is None:
                self.refused += 1
                return False
            self.evicted += 1
            self.release(victim)
            victim.force_close()
        self._open[handler] = None
        return True

    def became_idle(self, handler: GuardedRequestHandler) -> None:
        if handler in self._open:
            self._open.move_to_end(handler)

    def release(self, handler: GuardedRequestHandler) -> None:
        self._open.pop(handler, None)

    def between_requests(self) -> list[GuardedRequestHandler]:
        """Connections kept alive after an answer with nothing in progress or arriving."""
        return [h for h in self._open if h.between_requests]

    def busy(self) -> int:
        """Connections the drain waits for: a request in progress or arriving, or a first request not yet sent."""
        return sum(1 for h in self._open if not h.between_requests)


class GuardedRequestHandler(web.RequestHandler):
    """aiohttp's connection handler with a read deadline, a connection slot and enveloped low-level errors."""

    def __init__(self, manager: web.Server, *, read_timeout_sec: float, slots: ConnectionSlots,
                 **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._read_timeout_sec = read_timeout_sec
        self._slots = slots
        self._read_deadline: float | None = None  # loop time by which the current request must be read
        self._timer: asyncio.TimerHandle | None = None
        self._busy = False  # a request is being handled
        self._request_bytes = False  # bytes of a request not yet handled have arrived
        self._answered = False  # a response has been written: the connection is kept alive, not new
        self._close_after_response = False

    # --- states the slots and the drain look at ---

    @property
    def idle(self) -> bool:
        """No request in progress and none arriving (a new connection too): the connection cap may evict it."""
        return not self._busy and not self._request_bytes

    @property
    def between_requests(self) -> bool:
        """Kept alive after an answer, nothing in progress or arriving: the drain may close it."""
        return self._answered and self.idle and self.transport is not None

    def close_between_requests(self) -> bool:
        """Close a connection kept alive between requests, unless bytes of a next one already wait at its socket.

        aiohttp's `close()` is not enough here: on a connection waiting for
        its next request it stops the request loop but leaves the socket
        open, so a request sent on it afterwards gets no answer. Bytes the
        kernel holds but the loop has not read yet are read first (they are
        a request that reached the server: it gets its 503 `not_ready`).
        """
        if not self.between_requests:
            return False
        sock = self.transport.get_extra_info("socket") if self.transport is not None else None
        if sock is not None and _readable(sock.fileno()):
            return False
        self.force_close()
        return True

    def read_deadline(self) -> float | None:
        """The loop time by which the request being handled must have arrived whole (its body included)."""
        return self._read_deadline

    def request_started(self) -> None:
        """The admission middleware: a request's headers are in and its handler runs."""
        self._busy = True
        self._cancel_timer()

    def close_after_response(self) -> None:
        """Close the connection as soon as the current response is written.

        For a request whose body was not read whole (too slow, undecodable):
        aiohttp would otherwise linger up to 10 s reading the rest of it.
        """
        self._close_after_response = True

    async def finish_response(self, request: web.BaseRequest, resp: web.StreamResponse,
                              start_time: float | None) -> tuple[web.StreamResponse, bool]:
        """Write the response; only then does the connection wait for its next request (and count as idle)."""
        result = await super().finish_response(request, resp, start_time)
        if self._close_after_response:
            self.force_close()
        self._busy = False
        self._request_bytes = False
        self._answered = True
        self._read_deadline = None
        self._slots.became_idle(self)
        return result

    # --- asyncio.Protocol ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._slots.admit(self):
            transport.write(_raw_response(503, "overloaded"))  # type: ignore[attr-defined]
            transport.close()
            return
        super().connection_made(transport)
        # A new connection must start a request within the read timeout; it is closed silently otherwise.
        self._start_timer()

    def data_received(self, data: bytes) -> None:
        if not self._busy and not self._request_bytes:
            self._request_bytes = True
            self._start_timer()
        super().data_received(data)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_timer()
        self._slots.release(self)
        super().connection_lost(exc)

    # --- the read deadline ---

    def _start_timer(self) -> None:
        self._cancel_timer()
        loop = asyncio.get_running_loop()
        self._read_deadline = loop.time() + self._read_timeout_sec
        self._timer = loop.call_at(self._read_deadline, self._read_timed_out)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _read_timed_out(self) -> None:
        self._timer = None
        if self._busy or self.transport is None:
            return  # the handler reads the body under the same deadline and answers 408 itself
        if self._request_bytes:
            log.warning("request headers not received in time", timeout_sec=self._read_timeout_sec)
            self.transport.write(_raw_response(408, "request_timeout"))
        self.force_close()

    # --- aiohttp's own errors ---

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        """A request aiohttp refused (or a handler failure past every middleware), as the error envelope.

        `message` is aiohttp's text, which quotes the offending bytes: it is
        neither sent nor logged.
        """
        if status >= 500:
            log.error("request failed outside the middleware", status=status, exc_info=exc is not None)
        else:
            log.warning("malformed HTTP request refused", status=status,
                        error=type(exc).__name__ if exc is not None else None)
        code = "internal_error" if status >= 500 else _code(status)
        trace_id = secrets.token_hex(16)  # no span was opened: the request never reached the middleware
        response = web.Response(body=_envelope(status, code, trace_id), status=status,
                                content_type="application/json", headers={"X-Trace-Id": trace_id})
        response.force_close()
        return response

    def log_exception(self, *args: Any, **kw: Any) -> None:
        exc = kw.get("exc_info")
        if isinstance(exc, _CLIENT_FAULTS):
            log.warning("client connection error", error=type(exc).__name__)
        else:
            super().log_exception(*args, **kw)


def _readable(fd: int) -> bool:
    """Whether bytes (or the peer's close) wait at socket `fd`, unread. poll(): select() stops at fd 1,023."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _code(status: int) -> str:
    return {400: "invalid_request", 408: "request_timeout", 413: "payload_too_large", 503: "overloaded"}.get(
        status, "invalid_request")


def _envelope(status: int, code: str, trace_id: str) -> bytes:
    error = ApiError(status, code, _LOW_LEVEL_MESSAGES.get(status, "The request was refused."))
    return json.dumps({**error.body(), "trace_id": trace_id}).encode()


def _raw_response(status: int, code: str) -> bytes:
    """A whole HTTP/1.1 response for a connection that has no request object to answer through."""
    trace_id = secrets.token_hex(16)
    body = _envelope(status, code, trace_id)
    reason = {408: "Request Timeout", 503: "Service Unavailable"}[status]
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nX-Trace-Id: {trace_id}\r\nConnection: close\r\n"
            + ("Retry-After: 1\r\n" if status == 503 else "") + "\r\n")
    return head.encode("ascii") + body
