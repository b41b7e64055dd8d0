"""Draining on SIGTERM, against the real `serve` process and a slow fake LLM process.

The service must turn `/readyz` to 503 at once, answer every chat already in
flight (and store it), and exit 0 within `BS_SHUTDOWN_GRACE_SEC`.
"""

import asyncio
import signal
import time

import aiohttp
import asyncpg
import pytest

from babyshield_chat.devtools.processes import DEV_ENV, FakeLlmProcess, ServiceProcess, wait_for

IN_FLIGHT = 50
LLM_LATENCY_MS = 1000
GRACE_SEC = 10
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
                           "BS_SHUTDOWN_GRACE_SEC": str(GRACE_SEC)})
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
