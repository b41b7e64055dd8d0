"""The chat endpoints: authenticate, gate, limit, validate, then hand over to the pipeline.

Conversation and explain are gated (spec step 1). Reading a conversation,
the profile and erase are not: a parent whose chat was rolled back must still
be able to see and delete what was stored about them. Every one of them is
limited per user (`limits.UserLimits`: a rate, and a few requests in flight).

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

from babyshield_chat.api.context import AUTH, DATABASE, PIPELINE, USER_LIMITS
from babyshield_chat.api.errors import ApiError
from babyshield_chat.api.faults import FAULTS
from babyshield_chat.api.gate import require_chat_enabled
from babyshield_chat.api.keys import CHAT_RESULT
from babyshield_chat.api.identity import Identity
from babyshield_chat.api.limits import Kind
from babyshield_chat.api.models import ConversationRequest, ExplainRequest, ProfileBody, ProfilePatch
from babyshield_chat.api.responses import json_response, read_model, trace_id_of
from babyshield_chat.chat.model import ConversationNotFound, DuplicateInProgress, Profile
from babyshield_chat.chat.pipeline import ChatResult
from babyshield_chat.db import memory
from babyshield_chat.db.pool import DatabaseUnavailable
from babyshield_chat.vocabulary import Endpoint

DB_TIMEOUT_SEC = 2.0


@contextlib.contextmanager
def _caller(request: web.Request, kind: Kind = "request") -> Iterator[Identity]:
    """The authenticated caller, holding one of their in-flight slots for the block."""
    identity = request.app[AUTH].require(request)
    with request.app[USER_LIMITS].admit(identity.user_id, kind):
        yield identity


async def _chat(request: web.Request, endpoint: Endpoint,
                answer: Callable[[str], Awaitable[ChatResult]]) -> web.Response:
    """Identity, gate, the user's limits, drill faults, then `answer(user_id)` (which parses the body): in this order (README)."""
    identity = request.app[AUTH].require(request)
    require_chat_enabled(request, identity)
    try:
        with request.app[USER_LIMITS].admit(identity.user_id, "message"):
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
