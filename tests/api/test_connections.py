"""Connections between requests: what the drain may close, and what it must leave to be answered.

In-process, over real loopback sockets, with the service's own runner
(`server.GuardedAppRunner`) and a one-route app.
"""

import asyncio
import socket

from aiohttp import web

from babyshield_chat.api.connections import ConnectionSlots
from babyshield_chat.server import GuardedAppRunner

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def read_response(sock):
    """One whole response of the route below (its body ends the response)."""
    sock.settimeout(5)
    received = b""
    while not received.endswith(b"answered"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


async def started(slots):
    app = web.Application()

    async def hello(_request):
        return web.Response(text="answered")

    app.router.add_get("/", hello)
    runner = GuardedAppRunner(app, slots=slots, read_timeout_sec=5, handler_kwargs={}, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site.port


async def test_a_new_connection_is_not_between_requests_until_its_first_answer_is_written():
    slots = ConnectionSlots(16)
    runner, port = await started(slots)
    client = socket.create_connection(("127.0.0.1", port))
    try:
        await asyncio.sleep(0.1)
        assert len(slots) == 1 and slots.between_requests() == [] and slots.busy() == 1
        client.sendall(REQUEST)
        assert (await asyncio.to_thread(read_response, client)).startswith(b"HTTP/1.1 200")
        await asyncio.sleep(0.1)
        assert len(slots.between_requests()) == 1 and slots.busy() == 0
    finally:
        client.close()
        await runner.cleanup()


async def test_a_request_waiting_at_the_socket_keeps_its_connection_open_and_is_answered():
    slots = ConnectionSlots(16)
    runner, port = await started(slots)
    client = socket.create_connection(("127.0.0.1", port))
    try:
        client.sendall(REQUEST)
        await asyncio.to_thread(read_response, client)
        await asyncio.sleep(0.1)
        [kept] = slots.between_requests()
        client.sendall(REQUEST)  # in the kernel's buffer; with no await since, the loop has not read it
        assert kept.close_between_requests() is False
        assert (await asyncio.to_thread(read_response, client)).startswith(b"HTTP/1.1 200")
        await asyncio.sleep(0.1)
        [kept] = slots.between_requests()
        assert kept.close_between_requests() is True
        assert await asyncio.to_thread(client.recv, 1) == b""  # closed for real, not left open and deaf
    finally:
        client.close()
        await runner.cleanup()
