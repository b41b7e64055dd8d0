"""Every HTTP route in one table: the router and the OpenAPI document both read it.

A route's entry names its handler, its request and response models, the
errors it can answer and how it authenticates, so adding an endpoint is one
line here and the document follows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Literal

from aiohttp import web
from pydantic import BaseModel

from . import chat, flags, health
from .models import (
    ChatResponse,
    ConversationRequest,
    ConversationResponse,
    EraseResponse,
    ExplainRequest,
    FlagsResponse,
    HealthResponse,
    ProfileBody,
    ProfileResponse,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Auth = Literal["none", "optional", "required", "admin"]


@dataclasses.dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    response: type[BaseModel] | None = None
    request: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    auth: Auth = "none"
    tag: str = "chat"
    content_type: str = "application/json"


_CHAT_ERRORS = (400, 401, 403, 409, 413, 415, 429, 503)

ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", health.healthz, "Liveness: 200 while the process runs.", HealthResponse, tag="ops"),
    Route("GET", "/readyz", health.readyz, "Readiness: 200 when the database answers and the instance is not draining.",
          HealthResponse, errors=(503,), tag="ops"),
    Route("GET", "/api/v1/chat/flags", flags.get_flags, "Whether chat is enabled for this user or device.",
          FlagsResponse, errors=(401,), auth="optional"),
    Route("POST", "/api/v1/chat/conversation", chat.post_conversation, "Ask a question about a product.",
          ChatResponse, ConversationRequest, errors=(*_CHAT_ERRORS, 404), auth="required"),
    Route("POST", "/api/v1/chat/explain", chat.post_explain, "Explain a scanned product's checks.",
          ChatResponse, ExplainRequest, errors=_CHAT_ERRORS, auth="required"),
    Route("GET", "/api/v1/chat/conversations/{id}", chat.get_conversation, "The caller's stored conversation.",
          ConversationResponse, errors=(400, 401, 404, 503), auth="required"),
    Route("GET", "/api/v1/chat/profile", chat.get_profile, "The caller's chat profile.",
          ProfileResponse, errors=(401, 503), auth="required"),
    Route("PUT", "/api/v1/chat/profile", chat.put_profile, "Replace the caller's chat profile.",
          ProfileResponse, ProfileBody, errors=(400, 401, 413, 415, 503), auth="required"),
    Route("POST", "/api/v1/chat/erase", chat.post_erase, "Delete all of the caller's chat data.",
          EraseResponse, errors=(401, 503), auth="required"),
)


def add_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
