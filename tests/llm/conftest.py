"""Fixtures for LLM tests: the fake LLM on a loopback port and a real openai client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest

from babyshield_chat.llm.fake_server import FakeLlmServer


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLlmServer]:
    async with FakeLlmServer() as server:
        yield server


@pytest.fixture
async def openai_client(fake_llm: FakeLlmServer) -> AsyncIterator[openai.AsyncOpenAI]:
    # The production settings: the SDK's own retries off, tenacity owns them.
    client = openai.AsyncOpenAI(base_url=fake_llm.base_url, api_key="test-key", max_retries=0)
    try:
        yield client
    finally:
        await client.close()
