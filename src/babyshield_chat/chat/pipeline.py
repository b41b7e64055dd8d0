"""The chat pipeline of spec section 4, after the gate: one request, one deadline.

    emergency → idempotency → ownership → profile → intent → tools → synthesis
    (or fallback) → memory → idempotency record

Every stage runs within `min(stage budget, time left)` and is cancelled when
that runs out; every dependency failure degrades the answer (tools `unknown`,
the fallback writer, `memory_saved: false`) instead of failing the request.
The only errors a client sees are its own: another user's conversation (404)
or the same `client_message_id` still being answered (409).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import uuid
from typing import Any

from opentelemetry import trace

from babyshield_chat.api.errors import ApiError
from babyshield_chat.api.models import ChatResponse, ConversationRequest, ExplainRequest
from babyshield_chat.config import Settings
from babyshield_chat.db import memory
from babyshield_chat.db.pool import Database, DatabaseUnavailable
from babyshield_chat.resilience.deadline import Deadline, StageTimeout, current_deadline, deadline_scope, stage
from babyshield_chat.chat.emergency import detect_emergency, emergency_answer
from babyshield_chat.resilience.breaker import BreakerRegistry
from babyshield_chat.telemetry.metrics import ChatMetrics
from babyshield_chat.telemetry.tracing import db_span
from babyshield_chat.chat.intents import IntentClassifier
from babyshield_chat.chat.model import Answer, Product, Profile, SynthesisRequest, Synthesizer
from babyshield_chat.chat.synthesis import Written, write_answer
from babyshield_chat.chat.tools.allergens import allergies_stated
from babyshield_chat.chat.tools.context import ToolContext
from babyshield_chat.chat.tools.recall_freshness import FreshnessCache
from babyshield_chat.chat.tools.registry import Guard, Observer, run_tools

log = logging.getLogger("babyshield_chat.pipeline")

DB_STAGE_SEC = 0.3
MEMORY_MIN_SEC = 0.05
IDEMPOTENCY_POLL_SEC = 0.05
EXPLAIN_QUESTION = "Explain this product's safety checks."


@dataclasses.dataclass(frozen=True)
class ChatResult:
    """The response plus what telemetry needs to know about how it was made."""

    response: ChatResponse
    outcome: str  # ok | fallback | emergency
    circuit_open: bool = False
    replayed: bool = False

    @property
    def fallback_reason(self) -> str | None:
        return self.response.fallback_reason


@dataclasses.dataclass
class ChatPipeline:
    settings: Settings
    database: Database
    tracer: trace.Tracer
    classifier: IntentClassifier
    synthesizer: Synthesizer | None = None  # None: the offline writer answers ("offline")
    tool_guard: Guard | None = None
    observe_tool: Observer | None = None
    metrics: ChatMetrics | None = None
    breakers: BreakerRegistry | None = None  # kept for operators' introspection and tests
    # One fewer database round trip per recall lookup; see tools.recall_freshness.
    recall_freshness: FreshnessCache = dataclasses.field(default_factory=FreshnessCache)

    async def converse(self, user_id: str, request: ConversationRequest, trace_id: str) -> ChatResult:
        deadline = Deadline.after(self.settings.budgets.total_sec)
        with deadline_scope(deadline):
            return await self._converse(user_id, request, trace_id)

    async def explain(self, user_id: str, request: ExplainRequest, trace_id: str) -> ChatResult:
        deadline = Deadline.after(self.settings.budgets.total_sec)
        with deadline_scope(deadline):
            profile = await self._profile(user_id)
            written, short = await self._answer(
                EXPLAIN_QUESTION, "explain_scan", request.product, profile, request.locale
            )
        response = ChatResponse(
            conversation_id=None, message_id=None, intent="explain_scan", answer=written.answer,
            tools=written.tools, synthesizer=written.synthesizer, fallback_reason=written.fallback_reason,
            memory_saved=False, trace_id=trace_id,
        )
        return ChatResult(response, _outcome(written), circuit_open=short)

    # --- the conversation, stage by stage ---

    async def _converse(self, user_id: str, request: ConversationRequest, trace_id: str) -> ChatResult:
        conversation_id = request.conversation_id or uuid.uuid4()
        message_id = uuid.uuid4()

        with self.tracer.start_as_current_span("chat.emergency"):
            emergency = detect_emergency(request.message, request.locale)
        if emergency is not None:
            # No database, no tools, no LLM: this answer must not wait on anything.
            response = ChatResponse(
                conversation_id=conversation_id, message_id=message_id, intent="emergency",
                answer=emergency_answer(emergency, request.locale), tools=[], synthesizer="offline",
                fallback_reason=None, memory_saved=False, trace_id=trace_id,
            )
            return ChatResult(response, "emergency")

        claimed = False
        if request.client_message_id:
            replay, claimed = await self._claim(user_id, request.client_message_id)
            if replay is not None:
                return ChatResult(ChatResponse.model_validate({**replay, "trace_id": trace_id}), "ok", replayed=True)
        try:
            memory_ok = await self._check_owner(user_id, request.conversation_id)
            profile = await self._profile(user_id)
            with self.tracer.start_as_current_span("chat.classify") as span:
                intent = await self._classify(request.message, request.product)
                span.set_attribute("babyshield.intent", intent)
            written, short = await self._answer(request.message, intent, request.product, profile, request.locale)
            saved = False
            if memory_ok and profile.consent_memory:
                saved = await self._remember(user_id, conversation_id, message_id, request.message, written.answer,
                                             intent, trace_id)
            response = ChatResponse(
                conversation_id=conversation_id, message_id=message_id, intent=intent, answer=written.answer,
                tools=written.tools, synthesizer=written.synthesizer, fallback_reason=written.fallback_reason,
                memory_saved=saved, trace_id=trace_id,
            )
        except BaseException:
            if claimed:
                await self._release(user_id, request.client_message_id)
            raise
        if claimed:
            await self._store_response(user_id, request.client_message_id, response)
        return ChatResult(response, _outcome(written), circuit_open=short)

    async def _answer(self, question: str, intent: str, product: Product | None, profile: Profile,
                      locale: str | None) -> tuple[Written, bool]:
        """Tools, then synthesis; also whether any breaker short-circuited on the way."""
        stated = [a for a in allergies_stated(question) if a not in profile.allergies]
        if stated:
            # "My son is allergic to milk": checked for this answer, never written to the profile.
            profile = profile.model_copy(update={"allergies": [*profile.allergies, *stated]})
        ctx = ToolContext(
            question=question, product=product, profile=profile, database=self.database, tracer=self.tracer,
            now=dt.datetime.now(dt.UTC), recalls_max_age_days=self.settings.chat.recalls_max_age_days,
            recall_freshness=self.recall_freshness,
        )
        runs = await run_tools(intent, ctx, budget_s=self.settings.budgets.tool_sec, tracer=self.tracer,
                               guard=self.tool_guard, observe=self.observe_tool)
        request = SynthesisRequest(
            question=question, intent=intent, locale=locale, product=product, profile=profile,
            tool_results=[run.result for run in runs],
        )
        written = await write_answer(request, synthesizer=self.synthesizer,
                                     budget_s=self.settings.budgets.synth_sec, metrics=self.metrics,
                                     model=self.settings.llm.model)
        short = written.circuit_open or any(run.short_circuited for run in runs)
        return written, short

    async def _classify(self, text: str, product: Product | None) -> str:
        try:
            async with stage("router", self.settings.budgets.router_sec):
                result = await self.classifier.classify(text, product)
            return result.intent
        except StageTimeout:
            return "unclear_intent"

    # --- database stages: each bounded, each optional ---

    async def _db(self, operation: str, table: str, fn, *, budget_s: float = DB_STAGE_SEC) -> Any:
        """Run a database step in its own stage and span; raise DatabaseUnavailable on any failure."""
        what = f"{operation} {table}"
        try:
            async with stage(f"db:{what}", budget_s):
                with db_span(self.tracer, operation, table):
                    async with self.database.connection(timeout=budget_s) as conn:
                        return await fn(conn)
        except (StageTimeout, OSError) as exc:
            raise DatabaseUnavailable(f"{what}: {type(exc).__name__}") from exc
        except DatabaseUnavailable:
            raise
        except Exception as exc:  # asyncpg errors: the database misbehaved, the answer goes on
            if isinstance(exc, (ApiError, memory.NotOwner)):
                raise
            raise DatabaseUnavailable(f"{what}: {type(exc).__name__}") from exc

    async def _claim(self, user_id: str, client_message_id: str) -> tuple[dict | None, bool]:
        """(stored response, claimed). Waits while a twin request is being answered."""
        try:
            while True:
                owned, stored = await self._db(
                    "INSERT", "idempotency_records", lambda c: memory.claim(c, user_id, client_message_id)
                )
                if owned:
                    return None, True
                if stored is not None:
                    return stored, False
                deadline = current_deadline()
                if deadline is not None and deadline.remaining() < IDEMPOTENCY_POLL_SEC * 2:
                    raise ApiError(409, "duplicate_in_progress",
                                   "A request with this client_message_id is still being answered; retry shortly.",
                                   headers={"Retry-After": "1"})
                await asyncio.sleep(IDEMPOTENCY_POLL_SEC)
        except DatabaseUnavailable:
            log.warning("idempotency unavailable; answering without it")
            return None, False

    async def _store_response(self, user_id: str, client_message_id: str, response: ChatResponse) -> None:
        body = response.model_dump(mode="json", exclude={"trace_id"})
        try:
            with deadline_scope(Deadline.after(self._after_deadline_budget())):
                await self._db(
                    "UPDATE", "idempotency_records",
                    lambda c: memory.store_response(c, user_id, client_message_id, body),
                )
        except DatabaseUnavailable:
            log.warning("could not store the idempotency record")

    async def _release(self, user_id: str, client_message_id: str) -> None:
        try:
            await self._db("DELETE", "idempotency_records", lambda c: memory.release(c, user_id, client_message_id))
        except (DatabaseUnavailable, asyncio.CancelledError):
            pass

    async def _check_owner(self, user_id: str, conversation_id: uuid.UUID | None) -> bool:
        """404 for someone else's (or an unknown) conversation; False when it cannot be checked."""
        if conversation_id is None:
            return True
        try:
            owner = await self._db("SELECT", "conversations", lambda c: memory.owner_of(c, conversation_id))
        except DatabaseUnavailable:
            return False
        if owner != user_id:
            raise ApiError(404, "not_found", "There is no such conversation.")
        return True

    async def _profile(self, user_id: str) -> Profile:
        try:
            return await self._db("SELECT", "profiles", lambda c: memory.get_profile(c, user_id)) or Profile()
        except DatabaseUnavailable:
            return Profile()

    def _after_deadline_budget(self) -> float:
        """Time for the closing writes: what is left, but never less than MEMORY_MIN_SEC."""
        deadline = current_deadline()
        left = deadline.remaining() if deadline is not None else DB_STAGE_SEC
        return min(DB_STAGE_SEC, max(left, MEMORY_MIN_SEC))

    async def _remember(self, user_id: str, conversation_id: uuid.UUID, message_id: uuid.UUID, question: str,
                        answer: Answer, intent: str, trace_id: str) -> bool:
        messages = [
            memory.NewMessage(uuid.uuid4(), "user", question, intent, trace_id),
            memory.NewMessage(message_id, "assistant", answer.summary, intent, trace_id),
        ]
        with self.tracer.start_as_current_span("chat.memory") as span:
            try:
                # Writes run on a deadline of their own: a slow answer must not cost the memory of it.
                with deadline_scope(Deadline.after(self._after_deadline_budget())):
                    await self._db(
                        "INSERT", "messages", lambda c: memory.save_exchange(c, conversation_id, user_id, messages)
                    )
                span.set_attribute("babyshield.memory_saved", True)
                return True
            except (DatabaseUnavailable, memory.NotOwner) as exc:
                span.set_attribute("babyshield.memory_saved", False)
                log.warning("memory not saved", extra={"error": type(exc).__name__})
                return False


def _outcome(written: Written) -> str:
    """The `outcome` label: a fallback answer is `fallback`, an LLM or offline answer `ok`."""
    return "fallback" if written.synthesizer == "fallback" else "ok"
