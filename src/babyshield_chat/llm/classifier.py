"""The optional LLM intent classifier (spec section 4, step 3).

The router's deterministic rules come first; when they are unsure and an LLM
is configured, the router asks :class:`LlmIntentClassifier`, within the router
budget and behind its own breaker (`llm:router`). The model picks one intent
from a strict enum and says how confident it is.

Routing must never fail a request, so every failure (timeout, open circuit,
rate limit, garbage, spend cap) is reported as "no opinion": ``classify``
returns None and the router falls back to ``unclear_intent``. The attempt
itself is still counted by the LLM observer.

Wiring note: the router's own result type (``IntentResult(intent,
confidence, source)`` in ``chat/intents.py``) is built from :class:`LlmIntent`
with ``source="llm"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, Field

from babyshield_chat.chat.model import Product
from babyshield_chat.resilience.breaker import CircuitOpen
from babyshield_chat.resilience.deadline import stage
from babyshield_chat.resilience.retry import BudgetExhausted, RetryPolicy
from babyshield_chat.vocabulary import DEFAULT_ROUTER_BUDGET_SEC, RuleIntent

from babyshield_chat.llm.prompt import classification_messages
from babyshield_chat.llm.schema import strict_json_schema
from babyshield_chat.llm.structured import InvalidOutput, SpendCapReached, StructuredLlm
from babyshield_chat.telemetry.logging import EventLog

__all__ = [
    "DEFAULT_ROUTER_RETRY_POLICY",
    "INTENT_SCHEMA",
    "INTENT_SCHEMA_NAME",
    "LlmIntent",
    "LlmIntentClassifier",
]

log = EventLog(__name__)

#: Retries for the classifier's StructuredLlm: a two-field reply is quick,
#: and within 0.3 s there is room for one retry at most.
DEFAULT_ROUTER_RETRY_POLICY = RetryPolicy(max_attempts=2, base_delay_sec=0.02, max_delay_sec=0.05, min_attempt_sec=0.1)


class _IntentReply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    intent: RuleIntent
    confidence: float = Field(ge=0, le=1)


INTENT_SCHEMA_NAME = "babyshield_intent"
INTENT_SCHEMA: dict[str, Any] = strict_json_schema(_IntentReply)


@dataclass(frozen=True)
class LlmIntent:
    """The model's pick: one of the routable intents, with its confidence in [0, 1]."""

    intent: RuleIntent
    confidence: float


class LlmIntentClassifier:
    """Classifies a question with the LLM within the router budget."""

    def __init__(self, llm: StructuredLlm, *, budget_sec: float = DEFAULT_ROUTER_BUDGET_SEC) -> None:
        if not isinstance(budget_sec, (int, float)) or not budget_sec > 0:
            raise ValueError(f"budget_sec must be a number of seconds > 0, got {budget_sec!r}")
        self._llm = llm
        self._budget_sec = float(budget_sec)

    async def classify(self, text: str, product: Product | None) -> LlmIntent | None:
        """The model's intent for `text`, or None when it could not say in time."""
        try:
            async with stage("router", self._budget_sec):
                reply = await self._llm.complete(
                    classification_messages(text, product),
                    schema_name=INTENT_SCHEMA_NAME,
                    schema=INTENT_SCHEMA,
                    parse=_IntentReply.model_validate,
                )
        except (SpendCapReached, CircuitOpen, BudgetExhausted, TimeoutError, InvalidOutput, openai.OpenAIError) as exc:
            # The class name only: messages of provider errors can echo input.
            log.info("LLM intent classification gave no answer", error=type(exc).__name__)
            return None
        return LlmIntent(intent=reply.intent, confidence=reply.confidence)
