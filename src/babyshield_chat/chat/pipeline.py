"""The chat pipeline of spec section 4, after the gate: one request, one deadline.

    emergency → idempotency → ownership → profile → intent → tools → synthesis
    (or fallback) → memory → idempotency record

Every stage runs within `min(stage budget, time left)` and is cancelled when
that runs out; every dependency failure degrades the answer (tools `unknown`,
the fallback writer, `memory_saved: false`) instead of failing the request.
The only errors are the client's own, raised as domain errors that the API
maps to HTTP: another user's conversation (`ConversationNotFound`) or the
same `client_message_id` still being answered (`DuplicateInProgress`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from typing import Any

from opentelemetry import trace

from babyshield_chat.config import Settings
from babyshield_chat.db import memory
from babyshield_chat.db.pool import Database, DatabaseUnavailable
from babyshield_chat.resilience.deadline import Deadline, StageTimeout, current_deadline, deadline_scope, stage
from babyshield_chat.chat.conversation_ids import ConversationIds
from babyshield_chat.chat.emergency import detect_emergency, emergency_answer
from babyshield_chat.telemetry.metrics import ChatMetrics
from babyshield_chat.telemetry.tracing import db_span
from babyshield_chat.chat.intents import IntentClassifier
from babyshield_chat.chat.model import (
    Answer,
    ConversationNotFound,
    DuplicateInProgress,
    Product,
    Profile,
    Reply,
    SynthesisRequest,
    Synthesizer,
)
from babyshield_chat.chat.synthesis import Written, write_answer
from babyshield_chat.chat.tools.allergens import allergies_stated
from babyshield_chat.chat.tools.context import ToolContext
from babyshield_chat.chat.tools.recall_freshness import FreshnessCache
from babyshield_chat.chat.tools.registry import Guard, Observer, run_tools
from babyshield_chat.vocabulary import EMERGENCY_INTENT, EXPLAIN_INTENT, UNCLEAR_INTENT, Intent, RuleIntent
from babyshield_chat.telemetry.logging import EventLog

log = EventLog("babyshield_chat.pipeline")

DB_STAGE_SEC = 0.3
MEMORY_MIN_SEC = 0.05
# The memory write must commit this long before its stage gives up, so the acknowledgement arrives in time.
COMMIT_MARGIN_SEC = 0.02
IDEMPOTENCY_POLL_SEC = 0.05
EXPLAIN_QUESTION = "Explain this product's safety checks."


@dataclasses.dataclass(frozen=True)
class _Question:
    """One conversation message as the client sent it (already validated)."""

    message: str
    conversation_id: uuid.UUID | None
    product: Product | None
    client_message_id: str | None
    locale: str | None


@dataclasses.dataclass(frozen=True)
class ChatResult:
    """The reply, plus what telemetry needs to know about how it was made."""

    reply: Reply
    circuit_open: bool = False  # a breaker short-circuited a tool or the LLM
    replayed: bool = False  # the stored reply to the same client_message_id


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
    # One fewer database round trip per recall lookup; see tools.recall_freshness.
    recall_freshness: FreshnessCache = dataclasses.field(default_factory=FreshnessCache)
    # Issues ids bound to their user, so an unstored conversation can go on (see conversation_ids).
    conversation_ids: ConversationIds = dataclasses.field(default_factory=ConversationIds)

    async def converse(self, user_id: str, message: str, *, trace_id: str, conversation_id: uuid.UUID | None = None,
                       product: Product | None = None, client_message_id: str | None = None,
                       locale: str | None = None) -> ChatResult:
        """Answer one message of a conversation (a new one when `conversation_id` is None)."""
        question = _Question(message, conversation_id, product, client_message_id, locale)
        with deadline_scope(Deadline.after(self.settings.budgets.total_sec)):
            return await self._converse(user_id, question, trace_id)

    async def explain(self, user_id: str, product: Product, *, locale: str | None = None) -> ChatResult:
        """Explain a scanned product's checks: no conversation, nothing stored."""
        with deadline_scope(Deadline.after(self.settings.budgets.total_sec)):
            profile = await self._profile(user_id)
            written, short = await self._answer(EXPLAIN_QUESTION, EXPLAIN_INTENT, product, profile, locale)
        reply = Reply(intent=EXPLAIN_INTENT, answer=written.answer, tools=written.tools,
                      synthesizer=written.synthesizer, fallback_reason=written.fallback_reason, memory_saved=False)
        return ChatResult(reply, circuit_open=short)

    # --- the conversation, stage by stage ---

    async def _converse(self, user_id: str, question: _Question, trace_id: str) -> ChatResult:
        conversation_id = question.conversation_id or self.conversation_ids.issue(user_id)
        message_id = uuid.uuid4()

        with self.tracer.start_as_current_span("chat.emergency"):
            emergency = detect_emergency(question.message, question.locale)
        if emergency is not None:
            # No database, no tools, no LLM: this answer must not wait on anything.
            reply = Reply(
                conversation_id=conversation_id, message_id=message_id, intent=EMERGENCY_INTENT,
                answer=emergency_answer(emergency, question.locale), tools=[], synthesizer="offline",
                fallback_reason=None, memory_saved=False,
            )
            return ChatResult(reply)

        claimed = False
        client_message_id = question.client_message_id
        if client_message_id:
            replay, claimed = await self._claim(user_id, client_message_id)
            if replay is not None:
                return ChatResult(Reply.model_validate(replay), replayed=True)
        try:
            memory_ok = await self._check_owner(user_id, question.conversation_id)
            profile = await self._profile(user_id)
            with self.tracer.start_as_current_span("chat.classify") as span:
                intent = await self._classify(question.message, question.product)
                span.set_attribute("babyshield.intent", intent)
            written, short = await self._answer(question.message, intent, question.product, profile, question.locale)
            # The closing writes share one short deadline of their own: a slow answer must not cost the
            # memory of it, and a frozen database must not hold the answer past the budget + 100 ms.
            with deadline_scope(Deadline.after(self._after_deadline_budget())):
                saved = False
                if memory_ok and profile.consent_memory:
                    saved = await self._remember(user_id, conversation_id, message_id, question.message,
                                                 written.answer, intent, trace_id)
                reply = Reply(
                    conversation_id=conversation_id, message_id=message_id, intent=intent, answer=written.answer,
                    tools=written.tools, synthesizer=written.synthesizer, fallback_reason=written.fallback_reason,
                    memory_saved=saved,
                )
                if claimed:
                    await self._store_reply(user_id, client_message_id, reply)
        except BaseException:
            if claimed:
                await self._release(user_id, client_message_id)
            raise
        return ChatResult(reply, circuit_open=short)

    async def _answer(self, question: str, intent: Intent, product: Product | None, profile: Profile,
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
        runs = await run_tools(intent, ctx, budget_sec=self.settings.budgets.tool_sec, tracer=self.tracer,
                               guard=self.tool_guard, observe=self.observe_tool)
        request = SynthesisRequest(
            question=question, intent=intent, locale=locale, product=product, profile=profile,
            tool_results=[run.result for run in runs],
        )
        written = await write_answer(request, synthesizer=self.synthesizer,
                                     budget_sec=self.settings.budgets.synth_sec, metrics=self.metrics,
                                     model=self.settings.llm.model)
        short = written.circuit_open or any(run.short_circuited for run in runs)
        return written, short

    async def _classify(self, text: str, product: Product | None) -> RuleIntent:
        try:
            async with stage("router", self.settings.budgets.router_sec):
                result = await self.classifier.classify(text, product)
            return result.intent
        except StageTimeout:
            return UNCLEAR_INTENT

    # --- database stages: each bounded, each optional ---

    async def _db(self, operation: str, table: str, fn, *, budget_sec: float = DB_STAGE_SEC) -> Any:
        """Run a database step in its own stage and span; raise DatabaseUnavailable on any failure."""
        what = f"{operation} {table}"
        try:
            async with stage(f"db:{what}", budget_sec):
                with db_span(self.tracer, operation, table):
                    async with self.database.connection(timeout=budget_sec) as conn:
                        return await fn(conn)
        except (StageTimeout, OSError) as exc:
            raise DatabaseUnavailable(f"{what}: {type(exc).__name__}") from exc
        except DatabaseUnavailable:
            raise
        except Exception as exc:  # asyncpg errors: the database misbehaved, the answer goes on
            if isinstance(exc, memory.NotOwner):
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
                    raise DuplicateInProgress()
                await asyncio.sleep(IDEMPOTENCY_POLL_SEC)
        except DatabaseUnavailable:
            log.warning("idempotency unavailable; answering without it")
            return None, False

    async def _store_reply(self, user_id: str, client_message_id: str, reply: Reply) -> None:
        body = reply.model_dump(mode="json")
        try:
            await self._db(
                "UPDATE", "idempotency_records", lambda c: memory.store_response(c, user_id, client_message_id, body)
            )
        except DatabaseUnavailable:
            log.warning("could not store the idempotency record")

    async def _release(self, user_id: str, client_message_id: str) -> None:
        try:
            await self._db("DELETE", "idempotency_records", lambda c: memory.release(c, user_id, client_message_id))
        except (DatabaseUnavailable, asyncio.CancelledError):
            pass

    async def _check_owner(self, user_id: str, conversation_id: uuid.UUID | None) -> bool:
        """`ConversationNotFound` for someone else's (or an unknown) one; False when it cannot be checked.

        A conversation with no row is the caller's when this service issued
        its id to them (nothing was stored for it: no consent, an emergency, a
        failed write): the turn goes on without history.
        """
        if conversation_id is None:
            return True
        try:
            owner = await self._db("SELECT", "conversations", lambda c: memory.owner_of(c, conversation_id))
        except DatabaseUnavailable:
            return False
        if owner == user_id or (owner is None and self.conversation_ids.issued_to(user_id, conversation_id)):
            return True
        raise ConversationNotFound()

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
                        answer: Answer, intent: Intent, trace_id: str) -> bool:
        messages = [
            memory.NewMessage(uuid.uuid4(), "user", question, intent, trace_id),
            memory.NewMessage(message_id, "assistant", answer.summary, intent, trace_id),
        ]
        def save(conn):
            # It commits only while this stage can still hear that it did (see memory.save_exchange).
            left = current_deadline().remaining()
            commit_by = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=max(0.0, left - COMMIT_MARGIN_SEC))
            return memory.save_exchange(conn, conversation_id, user_id, messages, commit_by=commit_by)

        with self.tracer.start_as_current_span("chat.memory") as span:
            try:
                await self._db("INSERT", "messages", save)
                span.set_attribute("babyshield.memory_saved", True)
                return True
            except (DatabaseUnavailable, memory.NotOwner) as exc:
                span.set_attribute("babyshield.memory_saved", False)
                log.warning("memory not saved", error=type(exc).__name__)
                return False

