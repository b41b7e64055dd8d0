"""The serving process: draining on SIGTERM, slow and idle clients, malformed HTTP, the fd limit.

Against the real `serve` process (and a slow fake LLM process). On SIGTERM
the service must turn `/readyz` to 503 at once, answer every chat already in
flight (and store it), and exit 0 within `BS_SHUTDOWN_GRACE_SEC`; when the
listener closes, a connection that reached it (still in the accept backlog,
just accepted, or opened in the drain delay) still gets its answer; slow or
idle clients are cut by the read and keep-alive timeouts and hold no
capacity (spec section 4a).
"""

import asyncio
import json
import os
import signal
import socket
import time

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from babyshield_chat.api.connections import ConnectionSlots
from babyshield_chat.db.embedded import free_port
from babyshield_chat.devtools.processes import (
    DEV_ENV,
    FakeLlmProcess,
    Process,
    ServiceProcess,
    babyshield_chat_command,
    wait_for,
)
from babyshield_chat.server import DrainingSite, GuardedAppRunner

IN_FLIGHT = 50
LLM_LATENCY_MS = 1000
GRACE_SEC = 10
DRAIN_DELAY_SEC = 2
# The fake answers in 1 s; the synthesis budget (1.5 s) covers it, so every answer is the LLM's.
QUESTION = "Is this crib recalled?"


@pytest.fixture
def fake_llm():
    fake = FakeLlmProcess({"latency": LLM_LATENCY_MS})
    try:
        fake.wait_ready()
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def service(database_url, fake_llm):
    proc = ServiceProcess({**DEV_ENV, **fake_llm.llm_env(), "BS_DATABASE_URL": database_url,
                           "BS_SHUTDOWN_GRACE_SEC": str(GRACE_SEC), "BS_SHUTDOWN_DRAIN_DELAY_SEC": str(DRAIN_DELAY_SEC),
                           "BS_CLIENT_READ_TIMEOUT_SEC": "3", "BS_CHAT_USER_MAX_INFLIGHT": "100"})
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


async def consent(session, url, user):
    async with session.patch(f"{url}/api/v1/chat/profile", json={"consent_memory": True},
                           headers={"X-User-Id": user}) as response:
        assert response.status == 200


async def chat(session, url, user):
    async with session.post(f"{url}/api/v1/chat/conversation", json={"message": QUESTION},
                            headers={"X-User-Id": user}) as response:
        return response.status, await response.json()


async def test_sigterm_drains_every_chat_in_flight_then_exits_0(service, fake_llm, database_url):
    users = [f"drain-user-{i}" for i in range(IN_FLIGHT)]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(consent(session, service.url, user) for user in users))
        chats = [asyncio.create_task(chat(session, service.url, user)) for user in users]
        await asyncio.to_thread(wait_for, lambda: fake_llm.control()["in_flight"] == IN_FLIGHT, timeout=10,
                                what="every chat to reach the LLM")

        service.signal(signal.SIGTERM)
        signalled = time.monotonic()
        async with session.get(f"{service.url}/readyz") as response:
            assert response.status == 503
            assert (await response.json())["error"]["code"] == "not_ready"
        async with session.post(f"{service.url}/api/v1/chat/conversation", json={"message": QUESTION},
                                headers={"X-User-Id": "late-user"}) as response:
            assert response.status == 503 and response.headers["Retry-After"]

        results = await asyncio.gather(*chats)
    assert [status for status, _ in results] == [200] * IN_FLIGHT
    assert {body["synthesizer"] for _, body in results} == {"llm"}
    assert all(body["memory_saved"] for _, body in results)

    assert await asyncio.to_thread(service.wait, GRACE_SEC) == 0
    assert time.monotonic() - signalled < GRACE_SEC
    conn = await asyncpg.connect(database_url)
    try:
        stored = await conn.fetch("SELECT user_id, role FROM messages")
    finally:
        await conn.close()
    assert sorted(stored) == sorted((user, role) for user in users for role in ("user", "assistant"))


async def test_sigterm_with_nothing_in_flight_exits_0_at_once(service):
    service.signal(signal.SIGTERM)
    # Nothing to wait for: the drain ends on its first poll, far inside the grace period.
    assert await asyncio.to_thread(service.wait, GRACE_SEC) == 0


# --- slow and idle clients, malformed HTTP, the file-descriptor limit (spec section 4a) ---

READ_TIMEOUT_SEC = 2


@pytest.fixture
def guarded_service(database_url):
    proc = ServiceProcess({**DEV_ENV, "BS_DATABASE_URL": database_url, "BS_METRICS_PROMETHEUS": "true",
                           "BS_CLIENT_READ_TIMEOUT_SEC": str(READ_TIMEOUT_SEC), "BS_KEEPALIVE_TIMEOUT_SEC": "3",
                           "BS_MAX_INFLIGHT": "64"})
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


async def stalled_body(port, user="hog"):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(("PUT /api/v1/chat/profile HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  f"X-User-Id: {user}\r\nContent-Length: 200\r\n\r\n{{").encode())
    await writer.drain()
    return reader, writer


async def test_hundreds_of_slow_bodies_from_one_user_take_nothing_from_anyone_else(guarded_service):
    # 300 stalled bodies, far past BS_MAX_INFLIGHT (64): none counts before its body is read.
    sockets = await asyncio.gather(*(stalled_body(guarded_service.port) for _ in range(300)))
    url = guarded_service.url
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/api/v1/chat/conversation", json={"message": "My baby swallowed a battery!"},
                                headers={"X-User-Id": "someone-else"}) as response:
            assert response.status == 200 and (await response.json())["answer"]["emergency"]
        async with session.get(f"{url}/api/v1/chat/flags") as response:
            assert response.status == 200
        async with session.get(f"{url}/readyz") as response:
            assert response.status == 200  # honest: the instance serves
        answers = [await asyncio.wait_for(reader.read(), READ_TIMEOUT_SEC + 5) for reader, _ in sockets]
        async with session.get(f"{url}/metrics") as response:
            metrics = await response.text()
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers)  # each cut and closed
    assert 'outcome="error"' not in metrics
    for _, writer in sockets:
        writer.close()


async def test_idle_sockets_and_idle_keep_alive_connections_are_closed(guarded_service):
    idle = [await asyncio.open_connection("127.0.0.1", guarded_service.port) for _ in range(200)]
    reader, writer = await asyncio.open_connection("127.0.0.1", guarded_service.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    closed = await asyncio.gather(*(asyncio.wait_for(r.read(), READ_TIMEOUT_SEC + 3) for r, _ in idle))
    assert closed == [b""] * 200  # never sent a request: closed at the read timeout, without a word
    await asyncio.wait_for(reader.read(), 3 + 3)  # kept alive, then idle past BS_KEEPALIVE_TIMEOUT_SEC: closed
    for _, w in [*idle, (reader, writer)]:
        w.close()


@pytest.mark.parametrize("request_bytes", [
    b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"s3cr3t-token" * 2000 + b"\r\n\r\n",
    b"NOT HTTP AT ALL\r\n\r\n",
], ids=["bad-request-line", "oversized-authorization", "garbage"])
async def test_malformed_http_gets_the_envelope_and_one_warning(guarded_service, request_bytes):
    offset = guarded_service.log_offset()
    reader, writer = await asyncio.open_connection("127.0.0.1", guarded_service.port)
    writer.write(request_bytes)
    response = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.split()[1] == b"400" and b"X-Trace-Id: " in head
    assert json.loads(body)["error"]["code"] == "invalid_request"
    assert b"s3cr3t" not in response
    await asyncio.sleep(0.2)
    lines = [json.loads(line) for line in guarded_service.output_lines(since=offset)]
    assert [line["level"] for line in lines if line["level"] in ("warning", "error")] == ["warning"]
    assert not any("exc_stack" in line for line in lines)


async def test_many_anonymous_sockets_under_a_low_fd_limit_cannot_make_healthz_time_out(database_url):
    # 300 descriptors in all: far fewer than the sockets opened below.
    service = Process(["prlimit", "--nofile=300:300", "--", *babyshield_chat_command(
        "serve", "--host", "127.0.0.1", "--port", str(port := free_port()))],
        {**DEV_ENV, "BS_DATABASE_URL": database_url})
    try:
        await asyncio.to_thread(service.wait_until_ready, f"http://127.0.0.1:{port}/readyz")
        # Opened while the service is stopped, so that the kernel fills the listener's backlog and the
        # service finds a full one at every accept: the burst a busy loop meets under real load.
        os.kill(service.pid, signal.SIGSTOP)
        try:
            opening = [asyncio.create_task(asyncio.open_connection("127.0.0.1", port)) for _ in range(400)]
            await asyncio.sleep(0.5)
        finally:
            os.kill(service.pid, signal.SIGCONT)
        sockets = await asyncio.gather(*opening)
        started = time.monotonic()
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200
        assert time.monotonic() - started < 2
        await asyncio.sleep(0.5)
        errors = [line for line in service.log_lines() if line.get("level") == "error"]
        assert errors == []
        for _, writer in sockets:
            writer.close()
    finally:
        service.stop()


async def read_response(reader):
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    return head, await reader.readexactly(length)


async def test_sigterm_answers_keep_alive_requests_and_exits_in_time_despite_a_slow_body(service):
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _ = await read_response(reader)
    assert b"Connection: close" not in head  # kept alive
    _slow = await stalled_body(service.port)

    service.signal(signal.SIGTERM)
    signalled = time.monotonic()
    async with aiohttp.ClientSession() as session, session.get(f"{service.url}/readyz") as response:
        assert response.status == 503
    body = b'{"message": "Is this crib recalled?"}'
    writer.write(b"POST /api/v1/chat/conversation HTTP/1.1\r\nHost: x\r\nX-User-Id: late\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    head, answer = await read_response(reader)  # the request on the kept-alive connection is answered
    assert head.startswith(b"HTTP/1.1 503") and b"Connection: close" in head
    assert json.loads(answer)["error"]["code"] == "not_ready"

    assert await asyncio.to_thread(service.wait, GRACE_SEC + 5) == 0
    assert time.monotonic() - signalled < GRACE_SEC + 5
    refused = [line for line in service.log_lines() if line.get("event") == "chat_request"]
    assert [(line["status_code"], line["outcome"]) for line in refused] == [(503, "rejected")]
    writer.close()


# --- the end of the drain delay: nothing that reached the server goes unanswered (spec section 4a) ---


async def wait_until_refused(port, within_sec):
    """Return once a new connection to `port` is refused (the listener has closed)."""
    deadline = time.monotonic() + within_sec
    while time.monotonic() < deadline:
        try:
            _, probe = await asyncio.open_connection("127.0.0.1", port)
        except ConnectionRefusedError:
            return
        probe.close()
        await asyncio.sleep(0.05)
    raise AssertionError(f"the listener still accepted connections {within_sec} s on")


async def test_a_connection_opened_in_the_drain_delay_gets_its_answer_after_the_listener_closes(service):
    service.signal(signal.SIGTERM)
    await asyncio.sleep(DRAIN_DELAY_SEC / 2)
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)  # accepted: the listener still answers
    await wait_until_refused(service.port, DRAIN_DELAY_SEC + 5)
    # Its request comes after the listener closed, well within the read timeout (3 s from the connect).
    writer.write(b"GET /api/v1/chat/profile HTTP/1.1\r\nHost: x\r\nX-User-Id: late\r\n\r\n")
    head, answer = await read_response(reader)
    assert head.startswith(b"HTTP/1.1 503") and b"Connection: close" in head
    assert json.loads(answer)["error"]["code"] == "not_ready"
    assert await asyncio.to_thread(service.wait, GRACE_SEC + 5) == 0
    writer.close()


async def test_a_kept_alive_connection_stays_open_through_the_delay_then_is_closed_without_a_word(service):
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    await read_response(reader)
    service.signal(signal.SIGTERM)
    signalled = time.monotonic()
    assert await asyncio.wait_for(reader.read(), DRAIN_DELAY_SEC + 5) == b""  # closed, no stray bytes
    assert time.monotonic() - signalled >= DRAIN_DELAY_SEC  # not before the listener stops answering
    assert await asyncio.to_thread(service.wait, GRACE_SEC + 5) == 0
    writer.close()


def read_until_closed(sock):
    sock.settimeout(10)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


async def test_connections_still_in_the_accept_backlog_are_answered_when_the_listener_closes():
    app = web.Application()

    async def hello(_request):
        return web.Response(text="answered")

    app.router.add_get("/", hello)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = DrainingSite(runner, "127.0.0.1", 0)
    await site.start()
    clients = []
    try:
        # Blocking connects on loopback: the kernel completes them; with no await here, nothing accepts them.
        for _ in range(3):
            client = socket.create_connection(("127.0.0.1", site.port))
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            clients.append(client)
        await site.stop()
        answers = await asyncio.gather(*(asyncio.to_thread(read_until_closed, c) for c in clients))
        assert all(a.startswith(b"HTTP/1.1 200") and a.endswith(b"answered") for a in answers), answers
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", site.port))
    finally:
        for client in clients:
            client.close()
        await runner.cleanup()


async def test_stop_returns_once_a_connection_accepted_just_before_the_close_is_being_served():
    slots = ConnectionSlots(16)
    runner = GuardedAppRunner(web.Application(), slots=slots, read_timeout_sec=5, handler_kwargs={},
                              handle_signals=False)
    await runner.setup()
    site = DrainingSite(runner, "127.0.0.1", 0)
    await site.start()
    loop = asyncio.get_running_loop()
    client = None
    try:
        # Make the loop accept the connection in the iteration that wakes this task (a due timer runs after the
        # I/O callbacks): asyncio has accepted it, but its handler does not exist yet when stop() is called.
        woken = loop.create_future()
        loop.call_later(0.001, woken.set_result, None)
        client = socket.create_connection(("127.0.0.1", site.port))
        time.sleep(0.05)  # blocks the loop: the timer falls due and the listener turns readable meanwhile
        await woken
        assert len(slots) == 0
        await site.stop()
        assert len(slots) == 1 and slots.busy() == 1  # counted: a drain waits for its request
    finally:
        if client is not None:
            client.close()
        await runner.cleanup()
