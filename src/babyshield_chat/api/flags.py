"""`GET /api/v1/chat/flags`: what the app should show this user.

Auth is optional: the user from a token (or dev header) when present,
otherwise `X-Device-Id`, otherwise no identity.
"""

from __future__ import annotations

from aiohttp import web

from babyshield_chat.api.context import AUTH
from babyshield_chat.api.identity import device_identity
from babyshield_chat.api.gate import evaluate
from babyshield_chat.api.models import FlagsResponse
from babyshield_chat.api.responses import json_response

CACHE_CONTROL = "private, max-age=60"


async def get_flags(request: web.Request) -> web.Response:
    identity = request.app[AUTH].identify(request) or device_identity(request)
    decision, state = evaluate(request, identity)
    body = FlagsResponse(
        chat_enabled_global=state.enabled,
        chat_rollout_pct=state.rollout_pct,
        chat_enabled_for_user=decision.enabled,
        reason=decision.reason,
        source=state.source,
        source_stale=state.stale,
    )
    return json_response(request, body.model_dump(mode="json", exclude={"trace_id"}), headers={"Cache-Control": CACHE_CONTROL})
