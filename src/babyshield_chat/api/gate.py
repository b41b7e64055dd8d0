"""The flag gate in front of the chat endpoints (spec step 1).

It runs after authentication and before anything touches the database or the
LLM: a blocked request costs one hash. The decision is recorded on a
`chat.gate` span with the OpenTelemetry feature-flag attributes.
"""

from __future__ import annotations

from aiohttp import web

from ..context import FLAGS, TRACER
from ..flags.evaluation import FLAG_KEY, FlagDecision, FlagState, decide
from ..identity import Identity
from .errors import ApiError
from .keys import FLAG_DECISION


def evaluate(request: web.Request, identity: Identity | None) -> tuple[FlagDecision, FlagState]:
    """The decision for this caller and the flag state it was made from."""
    state = request.app[FLAGS].current()
    return decide(state, identity.user_id if identity else None), state


def require_chat_enabled(request: web.Request, identity: Identity) -> FlagDecision:
    with request.app[TRACER].start_as_current_span("chat.gate") as span:
        decision, state = evaluate(request, identity)
        span.set_attribute("feature_flag.key", FLAG_KEY)
        span.set_attribute("feature_flag.result.variant", decision.variant)
        span.set_attribute("feature_flag.result.reason", decision.reason)
        span.set_attribute("feature_flag.provider.name", state.source)
        span.add_event(
            "feature_flag.evaluation",
            {"feature_flag.key": FLAG_KEY, "feature_flag.result.variant": decision.variant,
             "feature_flag.result.reason": decision.reason},
        )
    request[FLAG_DECISION] = decision
    if not decision.enabled:
        raise ApiError(403, "chat_disabled", f"Chat is not enabled for this user ({decision.reason}).")
    return decision
