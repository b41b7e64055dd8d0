"""The chat endpoints: authenticate, gate, validate, then hand over to the pipeline.

Conversation and explain are gated (spec step 1). Reading a conversation,
the profile and erase are not: a parent whose chat was rolled back must still
be able to see and delete what was stored about them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel

from babyshield_chat.chat.model import Profile
from babyshield_chat.chat.pipeline import ChatPipeline, ChatResult
from babyshield_chat.api.context import AUTH, DATABASE, PIPELINE, RATE_LIMITER
from babyshield_chat.db import memory
from babyshield_chat.db.pool import DatabaseUnavailable
from babyshield_chat.api.errors import ApiError
from babyshield_chat.api.faults import FAULTS
from babyshield_chat.api.gate import require_chat_enabled
from babyshield_chat.api.keys import CHAT_RESULT
from babyshield_chat.api.limits import RateLimiter
from babyshield_chat.api.models import ConversationRequest, ExplainRequest, ProfileBody
from babyshield_chat.api.responses import json_response, read_model, trace_id_of

DB_TIMEOUT_SEC = 2.0
M = TypeVar("M", bound=BaseModel)


def _rate_limit(request: web.Request, user_id: str) -> None:
    wait = request.app[RATE_LIMITER].acquire(user_id)
    if wait > 0:
        raise ApiError(429, "rate_limited", "Too many messages; wait before asking again.",
                       headers={"Retry-After": RateLimiter.retry_after_header(wait)})


async def _chat(request: web.Request, endpoint: str, model: type[M],
                run: Callable[[ChatPipeline, str, M, str], Awaitable[ChatResult]]) -> web.Response:
    """Identity, gate, rate limit, drill faults, body, pipeline: in this order (README)."""
    identity = request.app[AUTH].require(request)
    require_chat_enabled(request, identity)
    _rate_limit(request, identity.user_id)
    await request.app[FAULTS].apply(endpoint)
    body = await read_model(request, model)
    result = await run(request.app[PIPELINE], identity.user_id, body, trace_id_of(request))
    request[CHAT_RESULT] = result
    return json_response(request, result.response)


async def post_conversation(request: web.Request) -> web.Response:
    return await _chat(request, "conversation", ConversationRequest, ChatPipeline.converse)


async def post_explain(request: web.Request) -> web.Response:
    return await _chat(request, "explain", ExplainRequest, ChatPipeline.explain)


def _unavailable() -> ApiError:
    return ApiError(503, "not_ready", "Stored chat data is unavailable right now; retry shortly.",
                    headers={"Retry-After": "2"})


async def get_conversation(request: web.Request) -> web.Response:
    identity = request.app[AUTH].require(request)
    try:
        conversation_id = uuid.UUID(request.match_info["id"])
    except ValueError:
        raise ApiError(400, "invalid_request", "The conversation id must be a UUID.",
                       details=[{"field": "id", "problem": "not a UUID"}]) from None
    try:
        async with request.app[DATABASE].connection(timeout=DB_TIMEOUT_SEC) as conn:
            messages = await memory.get_messages(conn, conversation_id, identity.user_id)
    except DatabaseUnavailable:
        raise _unavailable() from None
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
    identity = request.app[AUTH].require(request)
    try:
        async with request.app[DATABASE].connection(timeout=DB_TIMEOUT_SEC) as conn:
            profile = await memory.get_profile(conn, identity.user_id) or Profile()
    except DatabaseUnavailable:
        raise _unavailable() from None
    return json_response(request, profile)


async def put_profile(request: web.Request) -> web.Response:
    identity = request.app[AUTH].require(request)
    body = await read_model(request, ProfileBody)
    profile = Profile.model_validate(body.model_dump())
    try:
        async with request.app[DATABASE].connection(timeout=DB_TIMEOUT_SEC) as conn:
            await memory.put_profile(conn, identity.user_id, profile)
    except DatabaseUnavailable:
        raise _unavailable() from None
    return json_response(request, profile)


async def post_erase(request: web.Request) -> web.Response:
    identity = request.app[AUTH].require(request)
    try:
        async with request.app[DATABASE].connection(timeout=DB_TIMEOUT_SEC) as conn:
            deleted = await memory.erase_user(conn, identity.user_id)
    except DatabaseUnavailable:
        raise _unavailable() from None
    return json_response(request, {"deleted": deleted})
