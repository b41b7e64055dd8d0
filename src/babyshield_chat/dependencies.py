"""Builds the pipeline's collaborators from settings: breakers, retries, the LLM.

The app factory calls `build_pipeline` once. Without `BS_LLM_API_KEY` the
offline writer answers and the rule classifier decides alone; with it, the
LLM synthesizer (breaker `llm:synth`) writes and an LLM classifier (breaker
`llm:router`) settles questions the rules are unsure of. Every tool runs
behind its own `tool:<name>` breaker with a retry policy for transient
database errors. Breaker and LLM events become metrics and span events here,
so the resilience and LLM modules stay free of telemetry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import openai
from opentelemetry import trace

from babyshield_chat.chat.conversation_ids import ConversationIds
from babyshield_chat.chat.intents import IntentResult, RuleClassifier, is_confident
from babyshield_chat.chat.model import Answer, Product, SynthesisRequest, ToolResult
from babyshield_chat.chat.pipeline import ChatPipeline
from babyshield_chat.config import Settings
from babyshield_chat.db.pool import Database, caused_by_request_data
from babyshield_chat.db.spend import PostgresSpendGuard
from babyshield_chat.llm.classifier import DEFAULT_ROUTER_RETRY_POLICY, LlmIntentClassifier
from babyshield_chat.llm.structured import LlmCall, StructuredLlm, create_openai_client
from babyshield_chat.llm.synthesizer import DEFAULT_SYNTH_RETRY_POLICY, LlmSynthesizer
from babyshield_chat.resilience.breaker import STATE_GAUGE_VALUES, BreakerRegistry, BreakerState
from babyshield_chat.resilience.retry import RetryPolicy, is_transient_connection_error, retry_call
from babyshield_chat.telemetry import Telemetry
from babyshield_chat.telemetry.tracing import llm_span, record_short_circuit
from babyshield_chat.vocabulary import TOOL_NAMES

TOOL_RETRY_POLICY = RetryPolicy(
    max_attempts=2, base_delay_sec=0.02, max_delay_sec=0.1, min_attempt_sec=0.05, is_transient=is_transient_connection_error
)


class TelemetryListener:
    """Breaker events → `chat_circuit_state`, `chat_circuit_short_circuits_total`, span events."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._metrics = telemetry.metrics

    def state_changed(self, name: str, old: BreakerState, new: BreakerState) -> None:
        self._metrics.set_circuit_state(name, STATE_GAUGE_VALUES[new])

    def short_circuited(self, name: str) -> None:
        self._metrics.count_short_circuit(name)
        record_short_circuit(name)

    def failure(self, name: str, exc: BaseException) -> None:
        pass

    def success(self, name: str) -> None:
        pass


class LlmTelemetry:
    """LLM calls → `chat_llm_*` metrics and the GenAI usage attributes of the `chat {model}` span."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._metrics = telemetry.metrics

    def llm_call(self, call: LlmCall) -> None:
        self._metrics.record_llm_request(call.model, call.outcome)
        self._metrics.add_tokens(call.model, call.input_tokens, call.output_tokens)
        self._metrics.add_cost(call.model, call.cost_usd)
        span = trace.get_current_span()
        span.set_attribute("gen_ai.usage.input_tokens", call.input_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", call.output_tokens)


class TracedSynthesizer:
    """Wraps the LLM synthesizer in the spec's `chat {model}` span."""

    def __init__(self, inner: LlmSynthesizer, tracer: trace.Tracer, model: str) -> None:
        self._inner, self._tracer, self._model = inner, tracer, model

    async def write(self, request: SynthesisRequest) -> Answer:
        with llm_span(self._tracer, self._model):
            return await self._inner.write(request)


class RulesThenLlm:
    """The rule classifier, asking the LLM only when the rules are unsure."""

    def __init__(self, rules: RuleClassifier, llm: LlmIntentClassifier | None) -> None:
        self._rules, self._llm = rules, llm

    async def classify(self, text: str, product: Product | None) -> IntentResult:
        result = await self._rules.classify(text, product)
        if is_confident(result):
            return result
        # Spec step 3: unsure rules ask the LLM when there is one, else the intent is unclear.
        answer = await self._llm.classify(text, product) if self._llm is not None else None
        if answer is None:
            return IntentResult(intent="unclear_intent", confidence=result.confidence, source=result.source)
        return IntentResult(intent=answer.intent, confidence=answer.confidence, source="llm")


def tool_guard(breakers: BreakerRegistry, on_retry: Callable[[str], None]):
    def guard(name: str, call: Callable[[], Awaitable[ToolResult]]) -> Awaitable[ToolResult]:
        breaker = breakers.get(f"tool:{name}")
        # The request's own data refused by PostgreSQL is not the database failing (spec section 4a).
        return retry_call(lambda: breaker.call(call, ignore=caused_by_request_data), dependency=name,
                          policy=TOOL_RETRY_POLICY, on_retry=on_retry)

    return guard


def create_llm_client(settings: Settings) -> openai.AsyncOpenAI | None:
    """The provider client when an LLM is configured, else None (the offline writer answers)."""
    if not settings.llm.enabled:
        return None
    return create_openai_client(settings.llm.base_url, settings.llm.api_key or "",
                                max_connections=settings.server.max_inflight)


def create_spend_guard(settings: Settings, database: Database) -> PostgresSpendGuard:
    """The shared daily spend cap; the caller runs `run_flusher()` and a last `flush()` at shutdown."""
    return PostgresSpendGuard(database, settings.llm.daily_budget_usd, model=settings.llm.model)


def build_pipeline(settings: Settings, database: Database, telemetry: Telemetry,
                   llm_client: openai.AsyncOpenAI | None = None,
                   spend_guard: PostgresSpendGuard | None = None) -> ChatPipeline:
    """The chat pipeline.

    `llm_client` (`create_llm_client`) and `spend_guard` (`create_spend_guard`)
    are required when an LLM is configured; the caller owns their lifetime.
    """
    metrics = telemetry.metrics
    breakers = BreakerRegistry(
        fail_max=settings.resilience.breaker_fail_max,
        reset_timeout_sec=settings.resilience.breaker_reset_sec,
        listeners=(TelemetryListener(telemetry),),
        reset_timeouts_by_prefix={"tool:": settings.resilience.breaker_db_reset_sec},
    )
    synthesizer = None
    llm_classifier = None
    if settings.llm.enabled:
        if llm_client is None or spend_guard is None:
            raise ValueError("an LLM is configured (BS_LLM_API_KEY) but no client or spend guard was given")
        client = llm_client
        common = dict(model=settings.llm.model, prices=settings.llm.prices, observer=LlmTelemetry(telemetry),
                      on_retry=metrics.count_retry,
                      spend_guard=spend_guard)
        synth_llm = StructuredLlm(client, breaker=breakers.get("llm:synth"),
                                  retry_policy=DEFAULT_SYNTH_RETRY_POLICY.fitted_to(settings.budgets.synth_sec),
                                  **common)
        synthesizer = TracedSynthesizer(LlmSynthesizer(synth_llm, budget_sec=settings.budgets.synth_sec),
                                        telemetry.tracer, settings.llm.model)
        router_llm = StructuredLlm(client, breaker=breakers.get("llm:router"),
                                   retry_policy=DEFAULT_ROUTER_RETRY_POLICY.fitted_to(settings.budgets.router_sec),
                                   **common)
        llm_classifier = LlmIntentClassifier(router_llm, budget_sec=settings.budgets.router_sec)
    for tool in TOOL_NAMES:
        breakers.get(f"tool:{tool}")
    # Every breaker has its `chat_circuit_state` series (0, closed) from start-up, not only after its
    # first change: "no series" must never be read as "no breaker" on a dashboard.
    for name, state in breakers.states().items():
        metrics.set_circuit_state(name, STATE_GAUGE_VALUES[state])
    return ChatPipeline(
        settings=settings, database=database, tracer=telemetry.tracer,
        classifier=RulesThenLlm(RuleClassifier(), llm_classifier),
        synthesizer=synthesizer, tool_guard=tool_guard(breakers, metrics.count_retry),
        observe_tool=metrics.record_tool, metrics=metrics,
        conversation_ids=ConversationIds(settings.chat.conversation_id_key),
    )
