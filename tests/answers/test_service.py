"""The benchmark's service: the real factory over HTTP, with the writer the run asked for."""

from __future__ import annotations

import aiohttp
import pytest

from bench.answers.service import serving

QUESTION = {"message": "Is this recalled?", "product": {"upc": "817980011137"}}


async def ask(base_url: str) -> dict:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base_url}/api/v1/chat/conversation", json=QUESTION,
                                headers={"X-User-Id": "bench-answers-service"}) as response:
            assert response.status == 200, await response.text()
            return await response.json()


async def test_offline_is_the_offline_writer(loaded_database_url):
    async with serving(loaded_database_url, "offline") as base_url:
        body = await ask(base_url)
    assert body["synthesizer"] == "offline" and body["fallback_reason"] is None
    assert any(c["name"] == "recall" and c["status"] == "fail" for c in body["answer"]["checks"])


async def test_fallback_makes_the_llm_fail_so_the_fallback_writer_answers(loaded_database_url):
    async with serving(loaded_database_url, "fallback") as base_url:
        bodies = [await ask(base_url) for _ in range(2)]
    assert all(b["synthesizer"] == "fallback" for b in bodies)
    assert {b["fallback_reason"] for b in bodies} <= {"provider_error", "circuit_open"}


async def test_llm_writes_through_the_fake_llm(loaded_database_url):
    async with serving(loaded_database_url, "llm") as base_url:
        body = await ask(base_url)
    assert body["synthesizer"] == "llm" and body["fallback_reason"] is None


async def test_the_service_stops_listening_when_the_context_ends(loaded_database_url):
    async with serving(loaded_database_url) as base_url:
        pass
    with pytest.raises(aiohttp.ClientConnectionError):
        await ask(base_url)


async def test_an_unknown_synthesizer_is_refused_by_name(loaded_database_url):
    with pytest.raises(ValueError, match="unknown synthesizer 'gpt'"):
        async with serving(loaded_database_url, "gpt"):
            pass
