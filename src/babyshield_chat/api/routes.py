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

from babyshield_chat.api import admin, chat, faults, flags, health
from babyshield_chat.api.models import (
    ChatResponse,
    ConversationRequest,
    ConversationResponse,
    EraseResponse,
    ExplainRequest,
    FlagsResponse,
    HealthResponse,
    ProfileBody,
    ProfilePatch,
    ProfileResponse,
)
from babyshield_chat.api.admin_models import (
    REASON_SCHEMA,
    AdminFlagResponse,
    AdvanceResponse,
    AuditResponse,
    ClearOverrideRequest,
    FlagChangeResponse,
    FlagOverrideRequest,
    RollbackResponse,
    RolloutActionRequest,
    RolloutResponse,
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
    # False: the body may be left out (its fields may then come as query parameters, `query`).
    body_required: bool = True
    # Query parameters: name → {"description", "schema"} (all optional).
    query: tuple[tuple[str, str, dict], ...] = ()


_CHAT_ERRORS = (400, 401, 403, 409, 413, 415, 429, 503)
_ADMIN_WRITE_ERRORS = (400, 403, 413, 415, 503)

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
          ConversationResponse, errors=(400, 401, 404, 429, 503), auth="required"),
    Route("GET", "/api/v1/chat/profile", chat.get_profile, "The caller's chat profile.",
          ProfileResponse, errors=(401, 429, 503), auth="required"),
    Route("PUT", "/api/v1/chat/profile", chat.put_profile,
          "Replace the caller's chat profile; every field is required.",
          ProfileResponse, ProfileBody, errors=(400, 401, 413, 415, 429, 503), auth="required"),
    Route("PATCH", "/api/v1/chat/profile", chat.patch_profile,
          "Change some fields of the caller's chat profile; the others keep their value.",
          ProfileResponse, ProfilePatch, errors=(400, 401, 413, 415, 429, 503), auth="required"),
    Route("POST", "/api/v1/chat/erase", chat.post_erase, "Delete all of the caller's chat data.",
          EraseResponse, errors=(401, 429, 503), auth="required"),
    Route("GET", "/api/v1/admin/flags/chat", admin.get_flag,
          "The chat flag this instance serves: effective state, env, override, staleness.",
          AdminFlagResponse, errors=(403, 503), auth="admin", tag="admin"),
    Route("PUT", "/api/v1/admin/flags/chat", admin.put_flag,
          "Set the runtime override (kill switch and/or rollout fraction); every instance applies it within 2 s.",
          FlagChangeResponse, FlagOverrideRequest, errors=_ADMIN_WRITE_ERRORS, auth="admin", tag="admin"),
    Route("DELETE", "/api/v1/admin/flags/chat", admin.delete_flag,
          "Remove the runtime override: every instance goes back to the env values. The audit reason comes as "
          "the JSON body or as ?reason= (one of the two is required).",
          FlagChangeResponse, ClearOverrideRequest, errors=_ADMIN_WRITE_ERRORS, auth="admin", tag="admin",
          body_required=False,
          query=(("reason", "Why; stored in the audit trail (instead of a JSON body).",
                  {"type": "string", **REASON_SCHEMA}),)),
    Route("GET", "/api/v1/admin/flags/chat/audit", admin.get_audit,
          "The flag's audit trail, newest first (?limit=1..500, default 50): overrides and rollout guard decisions.",
          AuditResponse, errors=(400, 403, 503), auth="admin", tag="admin"),
    Route("GET", "/api/v1/admin/rollout", admin.get_rollout,
          "The rollout guard's state: phase, soak, gates with values and thresholds, verdict, last decisions.",
          RolloutResponse, errors=(403, 503), auth="admin", tag="admin"),
    Route("POST", "/api/v1/admin/rollout/advance", admin.post_rollout_advance,
          "Evaluate the rollout guard once and apply its decision (promote, roll back on a trigger, or record the "
          "hold), as `babyshield-chat rollout advance` does; dry_run only says what it would do.",
          AdvanceResponse, RolloutActionRequest, errors=(*_ADMIN_WRITE_ERRORS, 409), auth="admin", tag="admin"),
    Route("POST", "/api/v1/admin/rollout/rollback", admin.post_rollout_rollback,
          "Step the rollout back to the last percentage that soaked green, or half, as "
          "`babyshield-chat rollout rollback` does; dry_run only says where to.",
          RollbackResponse, RolloutActionRequest, errors=(*_ADMIN_WRITE_ERRORS, 409), auth="admin", tag="admin"),
    Route("PUT", "/api/v1/admin/faults", faults.put_faults,
          "Inject faults into this instance's chat requests (only with BS_FAULT_INJECTION=true; else 404).",
          faults.FaultsResponse, faults.FaultsBody, errors=(400, 403, 404, 413, 415), auth="admin", tag="admin"),
    Route("DELETE", "/api/v1/admin/faults", faults.delete_faults, "Clear this instance's injected faults.",
          faults.FaultsResponse, errors=(403, 404), auth="admin", tag="admin"),
)


def add_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
