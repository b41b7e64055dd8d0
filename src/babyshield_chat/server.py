"""Running the app: listen, serve, and drain on SIGTERM without losing a request.

Connections are served by `api.connections.GuardedRequestHandler` (read
deadline, keep-alive timeout, a connection cap under the file-descriptor
limit, enveloped low-level errors). At start the process raises its soft
`RLIMIT_NOFILE` to the hard limit, since a default soft limit of 1,024 is
what lets a thousand idle sockets starve `/healthz`.

On SIGTERM or SIGINT (spec section 4a):

1. `/readyz` turns 503 at once and new work gets 503 `not_ready` (counted
   as `rejected`: a deploy must not move the error-rate gate); every
   response carries `Connection: close`, so keep-alive clients reconnect
   elsewhere after their answer instead of sending into a closing socket;
2. the listener stays open for `BS_SHUTDOWN_DRAIN_DELAY_SEC`, so the load
   balancer sees the 503s and stops routing here; a kept-alive connection
   stays usable meanwhile (its next request gets the 503 and the close);
3. the listener closes (`DrainingSite`: connections the kernel has already
   queued are accepted and answered first, not reset); connections kept
   alive between requests are closed (never one with bytes of a request
   waiting, nor a new one that has not sent its first request yet: that
   one gets its answer, or is closed by the read timeout if nothing comes),
   and requests in flight finish, until `BS_SHUTDOWN_GRACE_SEC` after the
   signal (a slow body is cut by the read timeout long before);
4. whatever is left is closed, the app's resources are released, and the
   process exits 0, always within the grace period + `EXIT_MARGIN_SEC`
   (the ECS `stopTimeout` and compose's `stop_grace_period` are above that).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import socket
from typing import Any

from aiohttp import web

from babyshield_chat.api.connections import ConnectionSlots, GuardedRequestHandler
from babyshield_chat.api.context import REQUEST_STATE, SETTINGS
from babyshield_chat.config import Settings
from babyshield_chat.telemetry.logging import EventLog

DRAIN_POLL_SEC = 0.05
# asyncio creates the handler of a connection it has accepted in a task that runs one loop iteration
# later and calls `connection_made` one more after that; one more for good measure.
ACCEPT_HANDOFF_ITERATIONS = 3
# After the grace period: closing connections and releasing resources must fit in this.
EXIT_MARGIN_SEC = 4.0
# File descriptors kept for what is not a client connection: the database pool, the LLM client's
# connections, log and telemetry exports, files. The connection cap is the limit minus these.
FD_RESERVE = 64
# asyncio accepts up to the listener's backlog of connections in one callback, before any of them has
# a handler the cap could count: that many descriptors must stay free above the cap, or a burst of
# connections runs the process out of them (EMFILE) between two evictions.
LISTEN_BACKLOG = 128
MIN_CONNECTIONS = 16
log = EventLog("babyshield_chat.server")


def raise_fd_limit() -> int:
    """Raise this process's soft file-descriptor limit to the hard one; return the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


def connection_limit(settings: Settings, fd_limit: int) -> int:
    """How many client connections fit under `fd_limit` with the descriptors the service itself needs."""
    reserved = FD_RESERVE + LISTEN_BACKLOG + settings.database.pool_max + (settings.server.max_inflight if settings.llm.enabled else 0)
    return max(MIN_CONNECTIONS, fd_limit - reserved)


class GuardedAppRunner(web.AppRunner):
    """An `AppRunner` whose connections are `GuardedRequestHandler`s sharing one `ConnectionSlots`."""

    def __init__(self, app: web.Application, *, slots: ConnectionSlots, read_timeout_sec: float,
                 handler_kwargs: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.slots = slots
        self._read_timeout_sec = read_timeout_sec
        self._handler_kwargs = handler_kwargs

    @property
    def server(self) -> Any:
        """What `TCPSite` makes connections with: guarded handlers managed by aiohttp's own `Server`."""
        inner = super().server
        if inner is None:
            return None

        def factory() -> GuardedRequestHandler:
            return GuardedRequestHandler(inner, loop=asyncio.get_running_loop(), slots=self.slots,
                                         read_timeout_sec=self._read_timeout_sec, **self._handler_kwargs)

        return factory


class DrainingSite(web.TCPSite):
    """A `TCPSite` whose `stop()` returns once every connection that reached the listener is being served.

    Two kinds would otherwise be lost when the listener closes:

    - connections the kernel has completed but nobody has accepted yet: the
      close resets them, though the client has connected and sent its
      request. `stop()` accepts them first, closing the listener in the same
      step with no await between (no other task runs there), then serves them
      like any other connection: they get 503 `not_ready` with
      `Connection: close`;
    - connections asyncio accepted just before the close, whose handler it
      creates a few loop iterations later: until then nothing counts them, so
      a drain that found nothing in progress would exit and close them under
      their request. `stop()` lets those iterations run before it returns.

    What is left is a handshake the kernel completes in the microseconds
    between the last `accept()` and the close: that connection is reset
    before any byte of its request was read (README, "On SIGTERM").
    """

    async def stop(self) -> None:
        queued = [conn for listener in (self._server.sockets if self._server is not None else ())
                  for conn in accept_queued(listener)]
        await super().stop()  # closes the listener before its first await
        for _ in range(ACCEPT_HANDOFF_ITERATIONS):
            await asyncio.sleep(0)  # one loop iteration: callbacks already scheduled run first
        loop = asyncio.get_running_loop()
        for conn in queued:
            try:
                await loop.connect_accepted_socket(self._runner.server, conn)
            except OSError:
                conn.close()  # the client has gone already
        if queued:
            log.info("accepted the listener's backlog before closing it", connections=len(queued))


def accept_queued(listener: Any) -> list[socket.socket]:
    """Accept, without blocking, every connection the kernel has queued on `listener` (a listening socket)."""
    accepted: list[socket.socket] = []
    with listener.dup() as own:  # the same listening socket; the event loop keeps its own descriptor
        own.setblocking(False)
        while True:
            try:
                conn, _ = own.accept()
            except (BlockingIOError, InterruptedError):
                return accepted
            except ConnectionAbortedError:
                continue  # reset by its client while queued
            except OSError as exc:  # out of descriptors: what is left is reset when the listener closes
                log.warning("could not accept the listener's backlog", error=type(exc).__name__)
                return accepted
            conn.setblocking(False)
            accepted.append(conn)


async def serve_app(app: web.Application, host: str, port: int, *, reuse_port: bool = False,
                    access_log_class: type | None = None, ready: asyncio.Event | None = None) -> None:
    settings: Settings = app[SETTINGS]
    fd_limit = raise_fd_limit()
    slots = ConnectionSlots(connection_limit(settings, fd_limit))
    handler_kwargs: dict[str, Any] = {"keepalive_timeout": settings.server.keepalive_timeout_sec}
    handler_kwargs.update({"access_log_class": access_log_class} if access_log_class else {"access_log": None})
    runner = GuardedAppRunner(app, slots=slots, read_timeout_sec=settings.server.client_read_timeout_sec,
                              handler_kwargs=handler_kwargs, handle_signals=False,
                              shutdown_timeout=EXIT_MARGIN_SEC / 2)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    exit_by: float | None = None
    try:
        site = DrainingSite(runner, host, port, reuse_port=reuse_port or None, backlog=LISTEN_BACKLOG)
        await site.start()
        # The pid tells the workers of `serve --workers N` apart.
        log.info("listening", host=host, port=port, pid=os.getpid(), fd_limit=fd_limit, max_connections=slots.limit)
        if ready is not None:
            ready.set()
        await stop.wait()
        exit_by = await drain(app, site, slots)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        budget = max(1.0, exit_by - loop.time()) if exit_by is not None else None
        try:
            async with asyncio.timeout(budget):
                await runner.cleanup()
        except TimeoutError:
            log.warning("shutdown cleanup cut short to exit in time", budget_sec=budget)


async def drain(app: web.Application, site: web.BaseSite, slots: ConnectionSlots) -> float:
    """Steps 1-3 of the module docstring; returns the loop time by which the process must have exited."""
    loop = asyncio.get_running_loop()
    server = app[SETTINGS].server
    state = app[REQUEST_STATE]
    state.draining = True
    signalled = loop.time()
    finish_by = signalled + max(server.shutdown_grace_sec, server.shutdown_drain_delay_sec)
    log.info("draining", inflight=state.inflight, connections=len(slots),
             drain_delay_sec=server.shutdown_drain_delay_sec, grace_sec=server.shutdown_grace_sec)
    await asyncio.sleep(server.shutdown_drain_delay_sec)
    await site.stop()
    while True:
        for handler in slots.between_requests():
            handler.close_between_requests()  # its client has had every answer it asked for
        if loop.time() >= finish_by or (state.inflight == 0 and slots.busy() == 0):
            break
        await asyncio.sleep(DRAIN_POLL_SEC)
    if slots.busy():
        log.warning("grace period over with requests in progress", inflight=state.inflight, connections=slots.busy())
    return finish_by + EXIT_MARGIN_SEC
