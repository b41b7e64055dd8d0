"""The contract's closed sets and defaults, each spelled once.

Every name the specification fixes as a closed set is a `Literal` type here,
with its values as a tuple for code that iterates or checks them. The request
and response models (and so the OpenAPI document), the metric labels
(`telemetry.labels`), the tool registry, the middleware and the rollout guard
all take their values from here, so a value added here shows up everywhere at
once, and a typo anywhere else is a type error.

The defaults of the `BS_*` variables (spec sections 3 and 4, and the README's
configuration table) are here too: `config` applies them, and code that needs
one of them (a budget, the model name) imports it from here instead of
writing the number again.

This module imports nothing of the project, so every layer may use it.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

# --- what a question is about (spec section 4, steps 2 and 3) ----------------

#: The intents the router can decide (rules first, then the LLM classifier).
RuleIntent = Literal[
    "recall_details",
    "pregnancy_risk",
    "allergy_question",
    "ingredient_info",
    "age_appropriateness",
    "alternative_products",
    "unclear_intent",
]
#: Every intent of a response: the router's, plus the explain endpoint's and the emergency step's.
Intent = Literal[RuleIntent, "explain_scan", "emergency"]
RULE_INTENTS: Final[tuple[RuleIntent, ...]] = get_args(RuleIntent)
INTENTS: Final[tuple[Intent, ...]] = get_args(Intent)
UNCLEAR_INTENT: Final = "unclear_intent"
EXPLAIN_INTENT: Final = "explain_scan"
EMERGENCY_INTENT: Final = "emergency"

#: The `intent` label of a request that never got one (blocked, rejected, failed).
NO_INTENT: Final = "none"

EmergencyLevel = Literal["red", "amber"]

# --- the tools (step 4) ------------------------------------------------------

ToolName = Literal["recall_lookup", "age_check", "allergen_check", "pregnancy_check", "ingredient_info", "alternatives"]
TOOL_NAMES: Final[tuple[ToolName, ...]] = get_args(ToolName)

#: How one tool run ended. `cancelled` is the client going away (neither a
#: failure nor a success for the breaker); `timeout` is the tool's budget.
ToolOutcome = Literal["ok", "error", "timeout", "circuit_open", "cancelled"]
TOOL_OUTCOMES: Final[tuple[ToolOutcome, ...]] = get_args(ToolOutcome)

# --- synthesis and fallback (steps 5 and 6) ----------------------------------

#: Who wrote the answer: the LLM, the offline writer as the configured synthesizer, or the fallback writer.
SynthesizerKind = Literal["llm", "offline", "fallback"]
SYNTHESIZER_KINDS: Final[tuple[SynthesizerKind, ...]] = get_args(SynthesizerKind)

FallbackReason = Literal[
    "timeout", "circuit_open", "provider_error", "rate_limited", "invalid_output", "budget_exhausted", "spend_cap"
]
FALLBACK_REASONS: Final[tuple[FallbackReason, ...]] = get_args(FallbackReason)

#: `outcome` of `chat_llm_requests_total`, one per provider call.
LlmOutcome = Literal["ok", "timeout", "rate_limited", "server_error", "invalid_output", "connection_error"]
LLM_OUTCOMES: Final[tuple[LlmOutcome, ...]] = get_args(LlmOutcome)

# --- chat requests as the telemetry counts them (spec section 5) ------------

#: The chat endpoints: `chat_requests_total` and the `chat_request` line cover these two only.
Endpoint = Literal["conversation", "explain"]
ENDPOINTS: Final[tuple[Endpoint, ...]] = get_args(Endpoint)

#: `outcome` of `chat_requests_total`, `chat_request_duration_seconds` and the `chat_request` line.
RequestOutcome = Literal["ok", "fallback", "emergency", "blocked", "rejected", "error"]
REQUEST_OUTCOMES: Final[tuple[RequestOutcome, ...]] = get_args(RequestOutcome)

# --- the flag gate (spec section 3) and the rollout guard (section 7) -------

FlagReason = Literal["disabled", "denylisted", "allowlisted", "rollout_included", "rollout_excluded", "no_identity"]
FLAG_REASONS: Final[tuple[FlagReason, ...]] = get_args(FlagReason)
#: Where the effective flag comes from: the `BS_FEATURE_CHAT_*` variables or the runtime override.
#: Also the `source` label of `chat_flag_changes_total`: where the flag an instance switched to comes from.
FlagSource = Literal["env", "override"]
FLAG_SOURCES: Final[tuple[FlagSource, ...]] = get_args(FlagSource)

#: What a rollback trigger makes the guard do (the policy's `on_rollback_trigger`).
TriggerAction = Literal["kill_switch", "step_back"]
TRIGGER_ACTIONS: Final[tuple[TriggerAction, ...]] = get_args(TriggerAction)
GuardAction = Literal["promote", "hold", TriggerAction]

# --- defaults of the BS_* variables -----------------------------------------

DEFAULT_ENV: Final = "development"
DEFAULT_LLM_MODEL: Final = "gpt-4o-mini"
DEFAULT_TOTAL_BUDGET_SEC: Final = 2.5
DEFAULT_ROUTER_BUDGET_SEC: Final = 0.3
DEFAULT_TOOL_BUDGET_SEC: Final = 0.8
DEFAULT_SYNTH_BUDGET_SEC: Final = 1.5
DEFAULT_BREAKER_FAIL_MAX: Final = 5
DEFAULT_BREAKER_RESET_SEC: Final = 30.0
#: The reset of a local dependency's breakers (PostgreSQL behind the tools): a blip there is short.
DEFAULT_BREAKER_DB_RESET_SEC: Final = 5.0
DEFAULT_MAX_BODY_BYTES: Final = 16_384
DEFAULT_MAX_INFLIGHT: Final = 512
DEFAULT_SHUTDOWN_GRACE_SEC: Final = 25.0
#: How long a draining instance keeps its listener open, so the load balancer sees `/readyz` 503.
DEFAULT_SHUTDOWN_DRAIN_DELAY_SEC: Final = 5.0
#: Headers and body of a request must arrive within this (then 408 and the connection is closed).
DEFAULT_CLIENT_READ_TIMEOUT_SEC: Final = 10.0
#: An idle keep-alive connection is closed after this: above a load balancer's 60 s idle timeout,
#: so the balancer, not the service, closes first and never reuses a connection being closed.
DEFAULT_KEEPALIVE_TIMEOUT_SEC: Final = 75.0
#: Requests one user may have in flight at once (429 beyond).
DEFAULT_USER_MAX_INFLIGHT: Final = 4
#: The longest lifetime (`exp` - `iat`, or `exp` - now) of an accepted JWT.
DEFAULT_JWT_MAX_TTL_SEC: Final = 86_400
DEFAULT_USER_RATE_PER_MIN: Final = 20
DEFAULT_MEMORY_RETENTION_DAYS: Final = 30
DEFAULT_RECALLS_MAX_AGE_DAYS: Final = 7
DEFAULT_RECALLS_SOURCE_URL: Final = "https://www.saferproducts.gov/RestWebServices/Recall"
DEFAULT_DB_POOL_MIN: Final = 1
DEFAULT_DB_POOL_MAX: Final = 20
