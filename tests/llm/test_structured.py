"""Behaviour of one structured LLM call: request shape, outcomes, usage, spend, and reply parsing."""

from __future__ import annotations

import json

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from babyshield_chat.prices import ModelPrice, PriceTable
from babyshield_chat.llm.schema import strict_json_schema
from babyshield_chat.llm.structured import (
    InvalidOutput,
    SpendCapReached,
    completion_of,
    create_openai_client,
    outcome_of,
    reply_object,
)
from babyshield_chat.vocabulary import LLM_OUTCOMES
from tests.support.spend import InMemorySpendGuard

_REQUEST = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


class Verdict(BaseModel):
    summary: str
    disclaimer: str


SCHEMA = strict_json_schema(Verdict)
MESSAGES = [{"role": "user", "content": "hello"}]


async def complete(llm, parse=Verdict.model_validate):
    return await llm.complete(MESSAGES, schema_name="verdict", schema=SCHEMA, parse=parse)


def completion(content: str | None, finish_reason: str = "stop", refusal: str | None = None) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish_reason,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                }
            ],
        }
    )


async def test_request_carries_the_api_key_and_reaches_the_chat_completions_path(make_llm, fake_llm) -> None:
    """The body goes out through the client's own `post`: auth and path are still the SDK's."""
    await complete(make_llm())
    assert fake_llm.state.last_authorization == "Bearer test-key"
    assert fake_llm.state.chat_completions == 1
    assert fake_llm.state.last_request["messages"] == MESSAGES


async def test_request_asks_for_strict_json_with_the_configured_model_and_limits(make_llm, fake_llm) -> None:
    await complete(make_llm(model="gpt-4.1-mini", max_output_tokens=321))
    sent = fake_llm.state.last_request
    assert sent["model"] == "gpt-4.1-mini"
    assert sent["max_completion_tokens"] == 321
    assert sent["temperature"] == 0.0
    assert sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "strict": True, "schema": SCHEMA},
    }


async def test_temperature_can_be_left_to_the_provider(make_llm, fake_llm) -> None:
    await complete(make_llm(temperature=None))
    assert "temperature" not in fake_llm.state.last_request


async def test_result_is_what_parse_returns(make_llm) -> None:
    verdict = await complete(make_llm())
    assert isinstance(verdict, Verdict) and verdict.disclaimer


async def test_every_attempt_is_reported_with_its_outcome(make_llm, fake_llm, observer) -> None:
    fake_llm.state.set(fault="server_error")
    with pytest.raises(openai.InternalServerError):
        await complete(make_llm())
    assert [call.outcome for call in observer.calls] == ["server_error"] * 3
    assert all(call.input_tokens == call.output_tokens == 0 for call in observer.calls)
    assert all(call.cost_usd == 0 for call in observer.calls)


async def test_cost_follows_the_price_table_and_is_added_to_the_spend(make_llm, observer) -> None:
    spend = InMemorySpendGuard(daily_budget_usd=10.0)
    prices = PriceTable({"gpt-4o-mini": ModelPrice(1_000_000, 0)})  # 1 USD per input token
    await complete(make_llm(prices=prices, spend_guard=spend))
    [call] = observer.calls
    assert call.cost_usd == pytest.approx(call.input_tokens)
    assert spend.spent_today_usd == pytest.approx(call.cost_usd)


async def test_a_refused_spend_cap_raises_before_any_request(make_llm, fake_llm) -> None:
    with pytest.raises(SpendCapReached):
        await complete(make_llm(spend_guard=InMemorySpendGuard(daily_budget_usd=0)))
    assert fake_llm.state.chat_completions == 0


async def test_a_spend_store_that_fails_does_not_fail_the_answer(make_llm) -> None:
    class BrokenStore:
        async def allow(self) -> bool:
            return True

        async def add(self, usd: float) -> None:
            raise ConnectionError("spend table unreachable")

    assert isinstance(await complete(make_llm(spend_guard=BrokenStore())), Verdict)


async def test_a_reply_parse_rejects_is_invalid_output_without_quoting_it(make_llm, fake_llm, observer) -> None:
    class Strict(BaseModel):
        summary: int  # the fake writes a string: a schema violation

    with pytest.raises(InvalidOutput) as caught:
        await complete(make_llm(), parse=Strict.model_validate)
    assert "summary (int_parsing)" in str(caught.value)
    # The fake's summary text, which pydantic's own message would quote.
    assert "product facts" not in str(caught.value)
    assert [call.outcome for call in observer.calls] == ["invalid_output"]


async def test_a_failing_observer_does_not_fail_the_call(make_llm) -> None:
    class Broken:
        def llm_call(self, call: object) -> None:
            raise RuntimeError("metrics down")

    assert isinstance(await complete(make_llm(observer=Broken())), Verdict)


def test_client_has_the_sdk_retries_turned_off() -> None:
    client = create_openai_client("http://127.0.0.1:9/v1", "key")
    assert client.max_retries == 0


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (InvalidOutput("not JSON"), "invalid_output"),
        (TimeoutError(), "timeout"),
        (openai.APITimeoutError(request=_REQUEST), "timeout"),
        (openai.APIConnectionError(request=_REQUEST), "connection_error"),
        (openai.RateLimitError("429", response=httpx2.Response(429, request=_REQUEST), body=None), "rate_limited"),
        (openai.InternalServerError("503", response=httpx2.Response(503, request=_REQUEST), body=None), "server_error"),
        (openai.AuthenticationError("401", response=httpx2.Response(401, request=_REQUEST), body=None), "server_error"),
    ],
)
def test_failures_map_to_the_closed_outcome_set(exc: BaseException, outcome: str) -> None:
    assert outcome_of(exc) == outcome
    assert outcome in LLM_OUTCOMES


def test_reply_object_reads_the_json_object_of_the_first_choice() -> None:
    assert reply_object(completion('{"summary": "ok"}')) == {"summary": "ok"}


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (completion('{"summary": "cut'), "not JSON"),
        (completion('{"summary": "cut', finish_reason="length"), "cut off at the token limit"),
        (completion(None, refusal="I can't help with that"), "refused"),
        (completion("", finish_reason="stop"), "empty"),
        (completion('["a", "list"]'), "JSON list, not an object"),
    ],
)
def test_replies_that_are_not_a_json_object_are_invalid_output(reply: ChatCompletion, problem: str) -> None:
    with pytest.raises(InvalidOutput, match=problem):
        reply_object(reply)


def test_invalid_output_messages_do_not_quote_the_reply() -> None:
    with pytest.raises(InvalidOutput) as caught:
        reply_object(completion("My son Jake, born 2023-04-01, is allergic"))
    assert "Jake" not in str(caught.value)


def reply_body(**fields) -> httpx2.Response:
    body = {**completion('{"summary": "ok"}').model_dump(mode="json"), "usage": {
        "prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}, **fields}
    return httpx2.Response(200, content=json.dumps(body).encode(), headers={"content-type": "application/json"})


def test_a_reply_becomes_the_completion_the_client_would_build() -> None:
    reply = completion_of(reply_body())
    assert isinstance(reply, ChatCompletion)
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (12, 3)
    assert reply_object(reply) == {"summary": "ok"}


def test_a_reply_missing_fields_is_still_read_as_the_client_reads_it() -> None:
    # No "created" and an unknown finish reason: validation rejects it, the client's construction does not.
    body = reply_body(created=None)
    raw = json.loads(body.content)
    raw["choices"][0]["finish_reason"] = "eos"
    reply = completion_of(httpx2.Response(200, content=json.dumps(raw).encode()))
    assert reply_object(reply) == {"summary": "ok"} and reply.usage.prompt_tokens == 12


def test_a_reply_that_is_not_json_is_an_error_not_a_completion() -> None:
    with pytest.raises(json.JSONDecodeError):
        completion_of(httpx2.Response(200, content=b"<html>bad gateway</html>"))


@pytest.mark.parametrize(("kwargs", "bad"), [({"model": " "}, "' '"), ({"max_output_tokens": 0}, "got 0")])
def test_invalid_settings_are_rejected_naming_the_value(make_llm, kwargs: dict, bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        make_llm(**kwargs)
