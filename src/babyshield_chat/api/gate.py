"""The flag gate in front of the chat endpoints (spec step 1).

It runs after authentication and before anything touches the database or the
LLM: a blocked request costs one hash. The decision is recorded on a
`chat.gate` span with the OpenTelemetry feature-flag attributes.
"""

from __future__ import annotations

from aiohttp import web

from babyshield_chat.api.context import FLAGS, TRACER
from babyshield_chat.flags.evaluation import FLAG_KEY, FlagDecision, FlagState, decide
from babyshield_chat.api.identity import Identity
from babyshield_chat.telemetry.tracing import flag_evaluation_event
from babyshield_chat.api.errors import ApiError


def evaluate(request: web.Request, identity: Identity | None) -> tuple[FlagDecision, FlagState]:
    """The decision for this caller and the flag state it was made from."""
    state = request.app[FLAGS].current()
    return decide(state, identity.user_id if identity else None), state


def require_chat_enabled(request: web.Request, identity: Identity) -> None:
    # Not made current: nothing runs inside it, and this is the blocked path's hot spot.
    span = request.app[TRACER].start_span("chat.gate")
    try:
        decision, state = evaluate(request, identity)
        if span.is_recording():
            span.set_attribute("feature_flag.provider.name", state.source)
            flag_evaluation_event(span, FLAG_KEY, decision.variant, decision.reason)
    finally:
        span.end()
    if not decision.enabled:
        raise ApiError(403, "chat_disabled", f"Chat is not enabled for this user ({decision.reason}).")
