"""Behaviour of the fake LLM over HTTP, seen through the real openai client."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import openai
import pytest

from babyshield_chat.chat.model import (
    Answer,
    Check,
    Evidence,
    SynthesisRequest,
    ToolResult,
)
from babyshield_chat.devtools.fake_llm.completions import INVENTED_RECALL_ID
from babyshield_chat.devtools.fake_llm.modes import FakeMode
from babyshield_chat.devtools.fake_llm.server import FakeLlmServer
from babyshield_chat.llm.prompt import synthesis_messages
from babyshield_chat.llm.schema import response_format, strict_json_schema

RECALL = Evidence(type="recall", id="24-123", title="Acme Sleeper recall")
REQUEST = SynthesisRequest(
    question="Is it recalled?",
    intent="recall_details",
    tool_results=[
        ToolResult(
            name="recall_lookup",
            ok=True,
            checks=[Check(name="recall", status="fail", detail="Recalled in 2024")],
            evidence=[RECALL],
        )
    ],
)


async def ask(client: openai.AsyncOpenAI, timeout: float = 2.0):
    return await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=synthesis_messages(REQUEST),  # type: ignore[arg-type]
        response_format=response_format("answer", strict_json_schema(Answer)),  # type: ignore[arg-type]
        timeout=timeout,
    )


async def control(fake: FakeLlmServer, method: str, body: object = None) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.request(method, fake.control_url, json=body) as response:
        return response.status, await response.json()


async def test_answers_schema_valid_json_with_the_input_evidence_and_usage(openai_client, fake_llm) -> None:
    completion = await ask(openai_client)
    answer = Answer.model_validate_json(completion.choices[0].message.content or "")
    assert answer.evidence == [RECALL]
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    assert completion.model == "gpt-4o-mini"


async def test_lists_models(openai_client) -> None:
    models = await openai_client.models.list()
    assert "gpt-4o-mini" in [model.id for model in models.data]


async def test_control_counts_the_requests_received(openai_client, fake_llm) -> None:
    for _ in range(3):
        await ask(openai_client)
    status, state = await control(fake_llm, "GET")
    assert status == 200
    assert state["requests"]["chat_completions"] == 3


async def test_server_error_fault_answers_500(openai_client, fake_llm) -> None:
    status, state = await control(fake_llm, "PUT", {"fault": "server_error"})
    assert status == 200 and state["mode"]["fault"] == "server_error"
    with pytest.raises(openai.InternalServerError) as caught:
        await ask(openai_client)
    assert caught.value.status_code == 500


async def test_error_rate_fails_that_share_of_requests(openai_client, fake_llm) -> None:
    await control(fake_llm, "PUT", {"error_rate": 0.5, "seed": 11})
    outcomes = []
    for _ in range(40):
        try:
            await ask(openai_client)
            outcomes.append("ok")
        except openai.InternalServerError:
            outcomes.append("500")
    assert 8 <= outcomes.count("500") <= 32


async def test_rate_limited_fault_answers_429_with_retry_after(openai_client, fake_llm) -> None:
    fake_llm.state.set(fault="rate_limited", retry_after_s=1.5)
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(openai_client)
    headers = caught.value.response.headers
    assert headers["retry-after"] == "2"  # whole seconds, rounded up, per HTTP
    assert headers["retry-after-ms"] == "1500"


async def test_hanging_request_is_dropped_when_the_client_gives_up(openai_client, fake_llm) -> None:
    fake_llm.state.set(fault="hang")
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        await ask(openai_client, timeout=0.2)
    assert time.monotonic() - started < 1.0
    # The client closed the connection, so the fake is not left holding it.
    for _ in range(50):
        if fake_llm.state.in_flight == 0:
            break
        await asyncio.sleep(0.02)
    assert fake_llm.state.in_flight == 0


async def test_reset_releases_hanging_requests_and_zeroes_counters(openai_client, fake_llm) -> None:
    fake_llm.state.set(fault="hang")
    hanging = asyncio.create_task(ask(openai_client, timeout=5.0))
    while fake_llm.state.in_flight == 0:
        await asyncio.sleep(0.01)
    status, state = await control(fake_llm, "DELETE")
    assert status == 200
    assert state["mode"] == FakeMode().to_json()
    assert state["requests"]["chat_completions"] == 0
    with pytest.raises(openai.APIStatusError) as caught:
        await hanging
    assert caught.value.status_code == 503


async def test_garbage_fault_answers_content_that_is_not_json(openai_client, fake_llm) -> None:
    fake_llm.state.set(fault="garbage")
    content = (await ask(openai_client)).choices[0].message.content or ""
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)


async def test_truncated_fault_answers_the_first_half_of_valid_json(openai_client, fake_llm) -> None:
    complete = (await ask(openai_client)).choices[0].message.content or ""
    fake_llm.state.set(fault="truncated")
    truncated = (await ask(openai_client)).choices[0].message.content or ""
    assert complete.startswith(truncated) and len(truncated) < len(complete)
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated)


async def test_invent_evidence_fault_cites_a_recall_that_was_not_in_the_input(openai_client, fake_llm) -> None:
    fake_llm.state.set(fault="invent_evidence")
    answer = Answer.model_validate_json((await ask(openai_client)).choices[0].message.content or "")
    assert {e.id for e in answer.evidence} == {"24-123", INVENTED_RECALL_ID}


async def test_fixed_latency_delays_every_answer(openai_client, fake_llm) -> None:
    await control(fake_llm, "PUT", {"latency": {"distribution": "fixed", "ms": 150}})
    started = time.monotonic()
    await ask(openai_client)
    assert time.monotonic() - started >= 0.15


async def test_invalid_control_change_is_refused_and_the_mode_kept(fake_llm) -> None:
    fake_llm.state.set(fault="garbage")
    status, body = await control(fake_llm, "PUT", {"fault": "explode"})
    assert status == 400
    assert "'explode'" in body["error"]["message"]
    assert fake_llm.state.mode.fault == "garbage"


async def test_control_refuses_a_body_that_is_not_an_object(fake_llm) -> None:
    status, body = await control(fake_llm, "PUT", ["hang"])
    assert status == 400 and "['hang']" in body["error"]["message"]


async def test_chat_request_without_messages_is_a_400(fake_llm) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake_llm.base_url}/chat/completions", json={"model": "x"}) as response,
    ):
        assert response.status == 400


async def test_a_server_started_in_a_mode_returns_to_it_on_reset() -> None:
    async with FakeLlmServer(FakeMode(fault="garbage")) as fake:
        fake.state.set(fault="none")
        status, state = await control(fake, "DELETE")
        assert status == 200 and state["mode"]["fault"] == "garbage"
