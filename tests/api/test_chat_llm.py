"""The chat through the real `openai` client and the fake LLM over loopback: every failure mode
ends in an honest fallback inside the deadline."""

import asyncio
import time

import pytest

from babyshield_chat.devtools.fake_llm.completions import INVENTED_RECALL_ID as INVENTED_ID
from babyshield_chat.devtools.fake_llm.server import FakeLlmServer
from babyshield_chat.telemetry.testing import metric_points
from babyshield_chat.vocabulary import TOOL_NAMES

from tests.support.blackhole import BlackHole

# These tests time answers against their budgets (`budget + 100 ms`).
pytestmark = pytest.mark.usefixtures("no_gc_pauses")

CHAT = "/api/v1/chat/conversation"
USER = {"X-User-Id": "alice"}
BUDGET = 1.0
# What "before the total budget plus 100 ms" leaves for the test client's own overhead on a shared machine.
SLACK = 0.1


@pytest.fixture
async def fake():
    async with FakeLlmServer() as server:
        yield server


def env(fake, **extra):
    return {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1",
            "BS_LLM_API_KEY": "test-key", "BS_LLM_BASE_URL": fake.base_url,
            "BS_CHAT_TOTAL_BUDGET_SEC": str(BUDGET), "BS_CHAT_SYNTH_BUDGET_SEC": "0.7",
            "BS_BREAKER_FAIL_MAX": "3", "BS_BREAKER_RESET_SEC": "0.5", **extra}


async def timed_ask(client, message="Is this recalled?", **body):
    started = time.perf_counter()
    response = await client.post(CHAT, json={"message": message, "product": {"upc": "817980011137"}, **body},
                                 headers=USER)
    elapsed = time.perf_counter() - started
    assert response.status == 200, await response.text()
    return await response.json(), elapsed


@pytest.fixture
def loaded(loaded_database_url):
    return loaded_database_url


async def test_the_llm_writes_the_answer_with_tool_evidence(apps, fake, loaded):
    client = await apps.client(env(fake), database_url=loaded)
    body, _ = await timed_ask(client)
    assert (body["synthesizer"], body["fallback_reason"]) == ("llm", None)
    assert "CPSC-13115" in {e["id"] for e in body["answer"]["evidence"]}
    assert fake.state.chat_completions >= 1
    llm_spans = [s for s in apps.spans.get_finished_spans() if s.name == "chat gpt-4o-mini"]
    assert llm_spans and llm_spans[-1].attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert llm_spans[-1].attributes["gen_ai.usage.output_tokens"] > 0


async def test_a_hanging_llm_falls_back_on_timeout_within_the_deadline(apps, fake, loaded):
    fake.state.set(fault="hang")
    client = await apps.client(env(fake), database_url=loaded)
    body, elapsed = await timed_ask(client)
    assert (body["synthesizer"], body["fallback_reason"]) == ("fallback", "timeout")
    assert elapsed < BUDGET + SLACK
    assert "CPSC-13115" in {e["id"] for e in body["answer"]["evidence"]}  # the fallback still cites the recall


async def test_a_hanging_tool_and_llm_still_answer_before_the_budget(apps, fake):
    fake.state.set(fault="hang")
    async with BlackHole() as hole:
        client = await apps.client(env(fake), database_url=hole.database_url)
        body, elapsed = await timed_ask(client)
    assert elapsed < BUDGET + SLACK
    recall = next(t for t in body["tools"] if t["name"] == "recall_lookup")
    assert recall["ok"] is False
    assert next(c for c in body["answer"]["checks"] if c["name"] == "recall")["status"] == "unknown"
    assert body["synthesizer"] == "fallback" and body["memory_saved"] is False


async def test_server_errors_fall_back_as_provider_error_after_retries(apps, fake, loaded):
    fake.state.set(fault="server_error")
    client = await apps.client(env(fake, BS_BREAKER_FAIL_MAX="10"), database_url=loaded)
    body, elapsed = await timed_ask(client)
    assert (body["synthesizer"], body["fallback_reason"]) == ("fallback", "provider_error")
    assert fake.state.chat_completions >= 1 and elapsed < BUDGET + SLACK


async def test_rate_limiting_falls_back_as_rate_limited(apps, fake, loaded):
    fake.state.set(fault="rate_limited", retry_after_s=30)
    client = await apps.client(env(fake), database_url=loaded)
    body, elapsed = await timed_ask(client)
    assert body["fallback_reason"] == "rate_limited"
    assert fake.state.chat_completions == 1  # Retry-After 30 s exceeds the time left: no retry
    assert elapsed < BUDGET + SLACK


@pytest.mark.parametrize("fault", ["garbage", "truncated"])
async def test_unparseable_output_falls_back_as_invalid_output(apps, fake, loaded, fault):
    fake.state.set(fault=fault)
    client = await apps.client(env(fake), database_url=loaded)
    body, _ = await timed_ask(client)
    assert (body["synthesizer"], body["fallback_reason"]) == ("fallback", "invalid_output")


async def test_an_invented_recall_never_reaches_the_answer(apps, fake, loaded):
    fake.state.set(fault="invent_evidence")
    client = await apps.client(env(fake), database_url=loaded)
    body, _ = await timed_ask(client)
    ids = {e["id"] for e in body["answer"]["evidence"]}
    assert INVENTED_ID not in ids and "CPSC-13115" in ids


async def test_breaker_opens_then_short_circuits_without_reaching_the_llm_then_closes(apps, fake, loaded):
    fake.state.set(fault="server_error")
    client = await apps.client(env(fake), database_url=loaded)
    reasons = []
    for _ in range(4):
        body, _ = await timed_ask(client)
        reasons.append(body["fallback_reason"])
    assert reasons[-1] == "circuit_open"
    reached = fake.state.chat_completions
    body, elapsed = await timed_ask(client)
    assert body["fallback_reason"] == "circuit_open"
    assert fake.state.chat_completions == reached  # never sent
    text = await (await client.get("/metrics")).text()
    assert 'chat_circuit_state{breaker="llm:synth"} 2.0' in text
    assert 'chat_circuit_short_circuits_total{breaker="llm:synth"}' in text
    assert 'circuit="open"' in text

    fake.state.set(fault="none")
    await asyncio.sleep(0.6)  # past BS_BREAKER_RESET_SEC=0.5: the next call is the half-open trial
    body, _ = await timed_ask(client)
    assert body["synthesizer"] == "llm"
    text = await (await client.get("/metrics")).text()
    assert 'chat_circuit_state{breaker="llm:synth"} 0.0' in text


async def test_llm_usage_and_cost_are_counted(apps, fake, loaded):
    client = await apps.client(env(fake), database_url=loaded)
    await timed_ask(client)
    text = await (await client.get("/metrics")).text()
    assert 'chat_llm_requests_total{model="gpt-4o-mini",outcome="ok"}' in text
    assert 'chat_llm_tokens_total{direction="input",model="gpt-4o-mini"}' in text
    assert 'chat_llm_cost_usd_total{model="gpt-4o-mini"}' in text


async def test_the_daily_spend_cap_switches_to_the_fallback_writer(apps, fake, loaded):
    client = await apps.client(env(fake, BS_LLM_DAILY_BUDGET_USD="0"), database_url=loaded)
    body, _ = await timed_ask(client)
    assert (body["synthesizer"], body["fallback_reason"]) == ("fallback", "spend_cap")
    assert fake.state.chat_completions == 0


async def test_an_unsure_question_is_settled_by_the_llm_classifier(apps, fake, loaded):
    client = await apps.client(env(fake), database_url=loaded)
    body, _ = await timed_ask(client, "what does it contain")  # the rules score this 0.0
    assert body["intent"] == "ingredient_info"  # the fake classifies "contain" as ingredient_info
    assert fake.state.chat_completions == 2  # one router call, one synthesis call


async def test_an_unsure_question_without_an_llm_is_unclear(apps, loaded):
    client = await apps.client({"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true",
                                "BS_FEATURE_CHAT_ROLLOUT_PCT": "1"}, database_url=loaded)
    body, _ = await timed_ask(client, "what does it contain")
    assert body["intent"] == "unclear_intent"


async def test_a_hanging_router_llm_costs_at_most_the_router_budget(apps, fake, loaded):
    fake.state.set(fault="hang")
    client = await apps.client(env(fake, BS_CHAT_ROUTER_BUDGET_SEC="0.2"), database_url=loaded)
    body, elapsed = await timed_ask(client, "what does it contain")
    assert body["intent"] == "unclear_intent"
    assert body["fallback_reason"] in ("timeout", "budget_exhausted")
    assert elapsed < BUDGET + SLACK


async def test_a_synthesis_budget_under_the_minimum_attempt_still_calls_the_llm(apps, fake, loaded):
    client = await apps.client(env(fake, BS_CHAT_SYNTH_BUDGET_SEC="0.5"), database_url=loaded)
    body, _ = await timed_ask(client)
    assert (body["synthesizer"], body["fallback_reason"]) == ("llm", None)
    assert fake.state.chat_completions >= 1


async def test_every_breaker_has_a_closed_series_from_start_up(apps, fake):
    await apps.client(env(fake))
    states = {p.attributes["breaker"]: p.value for p in metric_points(apps.telemetry, "chat_circuit_state")}
    assert states == {**{f"tool:{t}": 0 for t in TOOL_NAMES}, "llm:synth": 0, "llm:router": 0}
