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

from babyshield_chat.vocabulary import (
    ENDPOINTS,
    FALLBACK_REASONS,
    FLAG_SOURCES,
    INTENTS,
    LLM_OUTCOMES,
    NO_INTENT,
    REQUEST_OUTCOMES,
    TOOL_NAMES,
    TOOL_OUTCOMES,
    RequestOutcome,
)

#: What any value outside its closed set becomes.
OTHER = "other"

#: Intents of spec step 3 plus `explain_scan`, `emergency` and `none`.
REQUEST_INTENTS: tuple[str, ...] = (*INTENTS, NO_INTENT)

#: `outcome` of `chat_synth_duration_seconds`: `ok` when a writer produced the
#: answer, else the fallback reason that replaced it.
SYNTH_OUTCOMES: tuple[str, ...] = ("ok", *FALLBACK_REASONS)

#: The `model` label of the built-in offline writer (no LLM configured).
OFFLINE_MODEL = "offline"

BREAKERS: tuple[str, ...] = (*(f"tool:{tool}" for tool in TOOL_NAMES), "llm:synth", "llm:router")

#: `dependency` of `chat_retries_total`: the LLM, the database, each tool.
DEPENDENCIES: tuple[str, ...] = ("llm", "db", *TOOL_NAMES)

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
TOOL = ClosedSet.of("tool", TOOL_NAMES)
TOOL_OUTCOME = ClosedSet.of("outcome", TOOL_OUTCOMES)
LLM_OUTCOME = ClosedSet.of("outcome", LLM_OUTCOMES)
SYNTH_OUTCOME = ClosedSet.of("outcome", SYNTH_OUTCOMES)
FALLBACK_REASON = ClosedSet.of("reason", FALLBACK_REASONS)
BREAKER = ClosedSet.of("breaker", BREAKERS)
DEPENDENCY = ClosedSet.of("dependency", DEPENDENCIES)
FLAG_SOURCE = ClosedSet.of("source", FLAG_SOURCES)


def model_set(models: Iterable[str]) -> ClosedSet:
    """The `model` vocabulary: the configured model names plus `offline`."""
    names = tuple(models)
    if not names or any(not isinstance(name, str) or not name for name in names):
        raise ValueError(f"model names must be non-empty strings, got {names!r}")
    return ClosedSet.of("model", (*names, OFFLINE_MODEL))


def request_outcome(status_code: int, *, blocked: bool, intent: str | None = None, synthesizer: str | None = None,
                    replayed: bool = False, draining: bool = False) -> RequestOutcome:
    """The `outcome` of one chat request (spec section 5), decided here and nowhere else.

    The gate's 403 is `blocked`; any other 4xx is `rejected`, any 5xx
    `error`, except the 503 `not_ready` of a draining instance (`draining`),
    which is `rejected` (spec section 4a): a deploy must not move the
    error-rate gate. An answer is `emergency` when the emergency step wrote it,
    `fallback` when the fallback writer did, else `ok`. A replayed response
    (the same `client_message_id` again) is `ok`: nothing was answered anew,
    so nothing fell back this time.
    """
    if blocked:
        return "blocked"
    if draining:
        return "rejected"
    if status_code >= 500:
        return "error"
    if status_code >= 400:
        return "rejected"
    if replayed:
        return "ok"
    if intent == "emergency":
        return "emergency"
    return "fallback" if synthesizer == "fallback" else "ok"
