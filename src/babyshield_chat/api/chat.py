"""The chat endpoints: authenticate, gate, validate, then hand over to the pipeline."""

from __future__ import annotations

from aiohttp import web

from ..context import AUTH
from .errors import ApiError
from .gate import require_chat_enabled
from .models import ConversationRequest, ExplainRequest
from .responses import read_model


async def post_conversation(request: web.Request) -> web.Response:
    identity = request.app[AUTH].require(request)
    require_chat_enabled(request, identity)
    await read_model(request, ConversationRequest)
    raise ApiError(501, "not_implemented", "The chat pipeline is not available in this build.")


async def post_explain(request: web.Request) -> web.Response:
    identity = request.app[AUTH].require(request)
    require_chat_enabled(request, identity)
    await read_model(request, ExplainRequest)
    raise ApiError(501, "not_implemented", "The chat pipeline is not available in this build.")
