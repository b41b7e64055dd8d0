"""Typed request keys: what one layer of a request leaves for another to read."""

from __future__ import annotations

from aiohttp import web

from babyshield_chat.chat.pipeline import ChatResult

TRACE_ID = web.RequestKey("trace_id", str)
ERROR_CODE = web.RequestKey("error_code", str)
USER_ID = web.RequestKey("user_id", str)
CHAT_RESULT = web.RequestKey("chat_result", ChatResult)
