"""The chat endpoints: authenticate, gate, limit, validate, then hand over to the pipeline.

Conversation, explain and feedback are gated (spec step 1). Reading a
conversation, the profile and erase are not: a parent whose chat was rolled
back must still be able to see and delete what was stored about them. Every
one of them is limited per user (`limits.UserLimits`: a rate, and a few
requests in flight).

Feedback (`POST /api/v1/chat/feedback`) goes identity, gate, the caller's
request limits (the bucket profile, history and erase share, so voting never
costs a question), the body, then whether the service gave this answer to
this caller. That check needs no stored row: the `message_id` carries a keyed
MAC and the answer's intent (`chat/message_ids.py`), so an answer nothing was
stored for (no memory consent, no `client_message_id`, an emergency) can be
voted on, and anything else — another user's answer, a made-up id — is 404
`not_found`. The vote is stored without content (a second vote replaces the
first), counted as `chat_feedback_total` under the intent from the id, never
the client's, and logged as one `chat_feedback` line (what the CloudWatch
alarms count).

The pipeline answers in domain terms (`Reply`, `ConversationNotFound`,
`DuplicateInProgress`); this module maps them to the response body and the
error envelope.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import asyncpg
from aiohttp import web

from babyshield_chat.api.context import AUTH, DATABASE, PIPELINE, TELEMETRY, USER_LIMITS
from babyshield_chat.api.errors import ApiError
from babyshield_chat.api.faults import FAULTS
from babyshield_chat.api.gate import require_chat_enabled
from babyshield_chat.api.keys import CHAT_RESULT
from babyshield_chat.api.identity import Identity
from babyshield_chat.api.limits import Kind
from babyshield_chat.api.models import (
    ConversationRequest,
    ExplainRequest,
    FeedbackRequest,
    FeedbackResponse,
    ProfileBody,
    ProfilePatch,
)
from babyshield_chat.api.responses import json_response, read_model, trace_id_of
from babyshield_chat.chat.model import ConversationNotFound, DuplicateInProgress, Profile
from babyshield_chat.chat.pipeline import ChatResult
from babyshield_chat.db import feedback, memory
from babyshield_chat.db.pool import DatabaseUnavailable
from babyshield_chat.telemetry.logging import EventLog
from babyshield_chat.vocabulary import NO_FEEDBACK_REASON, Endpoint

log = EventLog("babyshield_chat.feedback")
FEEDBACK_EVENT = "chat_feedback"

DB_TIMEOUT_SEC = 2.0


@contextlib.contextmanager
def _caller(request: web.Request, kind: Kind = "request", *, gated: bool = False) -> Iterator[Identity]:
    """The authenticated caller (past the chat gate when `gated`), holding an in-flight slot for the block."""
    identity = request.app[AUTH].require(request)
    if gated:
        require_chat_enabled(request, identity)
    with request.app[USER_LIMITS].admit(identity.user_id, kind):
        yield identity


async def _chat(request: web.Request, endpoint: Endpoint,
                answer: Callable[[str], Awaitable[ChatResult]]) -> web.Response:
    """Identity, gate, the user's limits, drill faults, then `answer(user_id)` (which parses the body): in this order (README)."""
    try:
        with _caller(request, "message", gated=True) as identity:
            await request.app[FAULTS].apply(endpoint)
            result = await answer(identity.user_id)
    except ConversationNotFound:
        raise ApiError(404, "not_found", "There is no such conversation.") from None
    except DuplicateInProgress as exc:
        raise ApiError(409, "duplicate_in_progress",
                       "A request with this client_message_id is still being answered; retry shortly.",
                       headers={"Retry-After": str(exc.retry_after_sec)}) from None
    request[CHAT_RESULT] = result
    return json_response(request, result.reply)  # the body of ChatResponse: the reply and its trace_id


async def post_conversation(request: web.Request) -> web.Response:
    async def answer(user_id: str) -> ChatResult:
        body = await read_model(request, ConversationRequest)
        return await request.app[PIPELINE].converse(
            user_id, body.message, trace_id=trace_id_of(request), conversation_id=body.conversation_id,
            product=body.product, client_message_id=body.client_message_id, locale=body.locale,
        )

    return await _chat(request, "conversation", answer)


async def post_explain(request: web.Request) -> web.Response:
    async def answer(user_id: str) -> ChatResult:
        body = await read_model(request, ExplainRequest)
        return await request.app[PIPELINE].explain(user_id, body.product, locale=body.locale)

    return await _chat(request, "explain", answer)


@contextlib.asynccontextmanager
async def _stored_data(request: web.Request) -> AsyncIterator[asyncpg.Connection]:
    """A connection for reading or changing what is stored about the caller; 503 when there is none."""
    try:
        async with request.app[DATABASE].connection(timeout=DB_TIMEOUT_SEC) as conn:
            yield conn
    except DatabaseUnavailable:
        raise ApiError(503, "not_ready", "Stored chat data is unavailable right now; retry shortly.",
                       headers={"Retry-After": "2"}) from None


async def get_conversation(request: web.Request) -> web.Response:
    with _caller(request) as identity:
        try:
            conversation_id = uuid.UUID(request.match_info["id"])
        except ValueError:
            raise ApiError(400, "invalid_request", "The conversation id must be a UUID.",
                           details=[{"field": "id", "problem": "not a UUID"}]) from None
        async with _stored_data(request) as conn:
            messages = await memory.get_messages(conn, conversation_id, identity.user_id)
    if messages is None:
        raise ApiError(404, "not_found", "There is no such conversation.")
    return json_response(request, {
        "conversation_id": str(conversation_id),
        "messages": [
            {"message_id": str(m.id), "role": m.role, "content": m.content, "intent": m.intent,
             "created_at": m.created_at.isoformat(), "trace_id": m.trace_id}
            for m in messages
        ],
    })


async def get_profile(request: web.Request) -> web.Response:
    with _caller(request) as identity:
        async with _stored_data(request) as conn:
            profile = await memory.get_profile(conn, identity.user_id) or Profile()
    return json_response(request, profile)


async def put_profile(request: web.Request) -> web.Response:
    with _caller(request) as identity:
        profile = (await read_model(request, ProfileBody)).profile()
        async with _stored_data(request) as conn:
            await memory.put_profile(conn, identity.user_id, profile)
    return json_response(request, profile)


async def patch_profile(request: web.Request) -> web.Response:
    with _caller(request) as identity:
        patch = await read_model(request, ProfilePatch)
        async with _stored_data(request) as conn:
            profile = await memory.update_profile(conn, identity.user_id, patch.merged)
    return json_response(request, profile)


async def post_erase(request: web.Request) -> web.Response:
    with _caller(request) as identity:
        async with _stored_data(request) as conn:
            deleted = await memory.erase_user(conn, identity.user_id)
    return json_response(request, {"deleted": deleted})


async def post_feedback(request: web.Request) -> web.Response:
    with _caller(request, gated=True) as identity:
        body = await read_model(request, FeedbackRequest)
        intent = request.app[PIPELINE].message_ids.answered(identity.user_id, body.message_id)
        if intent is None:
            raise ApiError(404, "not_found", "There is no such answer.")
        vote = feedback.Vote(body.message_id, body.helpful, body.reason, intent)
        async with _stored_data(request) as conn:
            replaced = await feedback.record_vote(conn, identity.user_id, vote)
    telemetry = request.app[TELEMETRY]
    telemetry.metrics.count_feedback(vote.helpful, vote.reason, intent)
    log.info(FEEDBACK_EVENT, helpful=vote.helpful, reason=vote.reason or NO_FEEDBACK_REASON, intent=intent,
             replaced=replaced, user_hash=telemetry.hash_user(identity.user_id))
    return json_response(request, FeedbackResponse(recorded=True))
