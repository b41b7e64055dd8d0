"""The closed vocabularies of the telemetry contract (spec section 5).

Every metric label value, and the span attributes and log fields that mirror
them, comes from one of these sets. A value outside its set is replaced by
`OTHER` instead of being passed through, for two reasons:

* cardinality: a label value taken from a request (a path, a model name the
  client asked for, an intent an LLM invented) would create a new Prometheus
  series per distinct value;
* privacy: client input never reaches a label, so it can never carry a user id
  or message text into a dashboard.

`other` showing up on a dashboard is therefore the signal that the app passed
a value this module does not know, which is a bug to fix here or there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from babyshield_chat.chat.model import FALLBACK_REASONS, INTENTS

#: What any value outside its closed set becomes.
OTHER = "other"

#: `intent` of a request that never got one: blocked by the gate, rejected by
#: validation, or an endpoint without intents (flags, profile, ...).
NO_INTENT = "none"

#: Endpoints counted in `chat_requests_total`. Probes (`/healthz`,
#: `/readyz`), `/metrics` and the OpenAPI document are not chat requests and
#: are not recorded, so they cannot dilute the error and latency rates.
ENDPOINTS: tuple[str, ...] = (
    "conversation",  # POST /api/v1/chat/conversation
    "explain",  # POST /api/v1/chat/explain
    "flags",  # GET  /api/v1/chat/flags
    "history",  # GET  /api/v1/chat/conversations/{id}
    "profile",  # GET/PUT /api/v1/chat/profile
    "erase",  # POST /api/v1/chat/erase
    "admin",  # /api/v1/admin/...
)

#: `outcome` of `chat_requests_total` and `chat_request_duration_seconds`.
REQUEST_OUTCOMES: tuple[str, ...] = ("ok", "fallback", "emergency", "blocked", "rejected", "error")

#: Intents of spec step 3 plus `explain_scan`, `emergency` and `none`.
REQUEST_INTENTS: tuple[str, ...] = (*INTENTS, NO_INTENT)

TOOLS: tuple[str, ...] = (
    "recall_lookup",
    "age_check",
    "allergen_check",
    "pregnancy_check",
    "ingredient_info",
    "alternatives",
)

#: How one tool run ended. `cancelled` is the client going away (neither a
#: failure nor a success for the breaker); `timeout` is the tool's budget.
TOOL_OUTCOMES: tuple[str, ...] = ("ok", "error", "timeout", "circuit_open", "cancelled")

#: `outcome` of `chat_llm_requests_total`, one per provider call.
LLM_OUTCOMES: tuple[str, ...] = (
    "ok",
    "timeout",
    "rate_limited",
    "server_error",
    "invalid_output",
    "connection_error",
)

#: `outcome` of `chat_synth_duration_seconds`: `ok` when a writer produced the
#: answer, else the fallback reason that replaced it.
SYNTH_OUTCOMES: tuple[str, ...] = ("ok", *FALLBACK_REASONS)

#: The `model` label of the built-in offline writer (no LLM configured).
OFFLINE_MODEL = "offline"

BREAKERS: tuple[str, ...] = (*(f"tool:{tool}" for tool in TOOLS), "llm:synth", "llm:router")

#: `dependency` of `chat_retries_total`: the LLM, the database, each tool.
DEPENDENCIES: tuple[str, ...] = ("llm", "db", *TOOLS)

TOKEN_DIRECTIONS: tuple[str, ...] = ("input", "output")

DB_POOL_STATES: tuple[str, ...] = ("in_use", "idle", "max")

#: `circuit` label: `open` when any breaker short-circuited the request.
CIRCUIT_OPEN = "open"
CIRCUIT_CLOSED = "closed"


@dataclass(frozen=True)
class ClosedSet:
    """One label's allowed values; `normalize` maps anything else to `other`."""

    label: str
    values: frozenset[str]

    @classmethod
    def of(cls, label: str, values: Iterable[str]) -> ClosedSet:
        return cls(label=label, values=frozenset(values))

    def normalize(self, value: object) -> str:
        # Only exact members pass: no lower-casing or trimming, which would
        # make "OK " and "ok" the same series and hide the caller's bug.
        if isinstance(value, str) and value in self.values:
            return value
        return OTHER

    def __contains__(self, value: object) -> bool:
        return value in self.values


ENDPOINT = ClosedSet.of("endpoint", ENDPOINTS)
REQUEST_OUTCOME = ClosedSet.of("outcome", REQUEST_OUTCOMES)
REQUEST_INTENT = ClosedSet.of("intent", REQUEST_INTENTS)
TOOL = ClosedSet.of("tool", TOOLS)
TOOL_OUTCOME = ClosedSet.of("outcome", TOOL_OUTCOMES)
LLM_OUTCOME = ClosedSet.of("outcome", LLM_OUTCOMES)
SYNTH_OUTCOME = ClosedSet.of("outcome", SYNTH_OUTCOMES)
FALLBACK_REASON = ClosedSet.of("reason", FALLBACK_REASONS)
BREAKER = ClosedSet.of("breaker", BREAKERS)
DEPENDENCY = ClosedSet.of("dependency", DEPENDENCIES)
TOKEN_DIRECTION = ClosedSet.of("direction", TOKEN_DIRECTIONS)


def model_set(models: Iterable[str]) -> ClosedSet:
    """The `model` vocabulary: the configured model names plus `offline`."""
    names = tuple(models)
    if not names or any(not isinstance(name, str) or not name for name in names):
        raise ValueError(f"model names must be non-empty strings, got {names!r}")
    return ClosedSet.of("model", (*names, OFFLINE_MODEL))
