"""Behaviour of the optional LLM intent classifier over the real client and the fake LLM."""

from __future__ import annotations

import time

import pytest

from babyshield_chat.chat.model import Product
from babyshield_chat.llm.classifier import (
    DEFAULT_ROUTER_RETRY_POLICY,
    INTENT_SCHEMA,
    LlmIntent,
    LlmIntentClassifier,
)
from babyshield_chat.llm.prompt import INTENT_DESCRIPTIONS
from babyshield_chat.resilience.retry import RetryPolicy
from babyshield_chat.vocabulary import DEFAULT_ROUTER_BUDGET_SEC
from tests.support.spend import InMemorySpendGuard

# These tests time answers against their budgets (`budget + 100 ms`).
pytestmark = pytest.mark.usefixtures("no_gc_pauses")

ROUTER_BUDGET_SEC = 0.3
SLACK_SEC = 0.1  # the spec's "budget + 100 ms"


@pytest.fixture
def classifier(make_llm) -> LlmIntentClassifier:
    return LlmIntentClassifier(make_llm("llm:router"), budget_sec=ROUTER_BUDGET_SEC)


async def test_returns_the_models_intent_and_confidence(classifier) -> None:
    result = await classifier.classify("Is this lotion OK while pregnant?", Product(name="Lotion"))
    assert result == LlmIntent(intent="pregnancy_risk", confidence=0.9)


def test_schema_offers_exactly_the_routable_intents() -> None:
    assert INTENT_SCHEMA["properties"]["intent"]["enum"] == list(INTENT_DESCRIPTIONS)
    assert "explain_scan" not in INTENT_DESCRIPTIONS and "emergency" not in INTENT_DESCRIPTIONS
    assert INTENT_SCHEMA["required"] == ["intent", "confidence"]
    assert INTENT_SCHEMA["additionalProperties"] is False


async def test_uses_its_own_breaker(classifier, fake_llm, observer, registry) -> None:
    await classifier.classify("recalled?", None)
    assert [call.breaker for call in observer.calls] == ["llm:router"]
    assert "llm:router" in registry.states()


async def test_hanging_llm_gives_no_answer_within_the_router_budget(classifier, fake_llm) -> None:
    fake_llm.state.set(fault="hang")
    started = time.monotonic()
    assert await classifier.classify("recalled?", None) is None
    assert time.monotonic() - started < ROUTER_BUDGET_SEC + SLACK_SEC


@pytest.mark.parametrize("fault", ["server_error", "rate_limited", "garbage", "truncated"])
async def test_any_llm_failure_gives_no_answer(classifier, fake_llm, fault: str) -> None:
    fake_llm.state.set(fault=fault)
    assert await classifier.classify("recalled?", None) is None


async def test_open_router_circuit_gives_no_answer_without_calling_the_llm(make_llm, fake_llm, registry) -> None:
    classifier = LlmIntentClassifier(make_llm("llm:router", retry_policy=RetryPolicy(max_attempts=1)))
    fake_llm.state.set(fault="server_error")
    for _ in range(3):
        await classifier.classify("recalled?", None)
    received = fake_llm.state.chat_completions
    assert await classifier.classify("recalled?", None) is None
    assert fake_llm.state.chat_completions == received
    # The writer's breaker is separate and still closed.
    assert registry.get("llm:synth").state == "closed"


async def test_spend_cap_gives_no_answer_without_calling_the_llm(make_llm, fake_llm) -> None:
    classifier = LlmIntentClassifier(make_llm("llm:router", spend_guard=InMemorySpendGuard(daily_budget_usd=0)))
    assert await classifier.classify("recalled?", None) is None
    assert fake_llm.state.chat_completions == 0


@pytest.mark.parametrize("bad", [0, -0.3, "fast"])
def test_invalid_budget_is_rejected_naming_the_value(make_llm, bad: object) -> None:
    with pytest.raises(ValueError, match=repr(bad).replace(".", r"\.")):
        LlmIntentClassifier(make_llm("llm:router"), budget_sec=bad)  # type: ignore[arg-type]


def test_default_policy_leaves_room_for_an_attempt_in_the_default_router_budget() -> None:
    assert DEFAULT_ROUTER_RETRY_POLICY.min_attempt_sec < DEFAULT_ROUTER_BUDGET_SEC


async def test_default_policy_classifies_within_the_default_budget(make_llm) -> None:
    classifier = LlmIntentClassifier(make_llm("llm:router", retry_policy=DEFAULT_ROUTER_RETRY_POLICY))
    assert await classifier.classify("Was this stroller recalled?", None) == LlmIntent("recall_details", 0.9)
