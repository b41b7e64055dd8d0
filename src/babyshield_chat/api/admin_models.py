"""Request and response bodies of the admin endpoints (spec section 1, "Admin").

Kept apart from `models.py` (the mobile client's contract) because operators,
not apps, use them. The same classes validate requests and feed the OpenAPI
document.

`rollout_pct` in a request is a JSON number in [0, 1]. A percentage string
such as "10%" (which `BS_FEATURE_CHAT_ROLLOUT_PCT` accepts, env being text) is
refused with a message that says which fraction was probably meant: in a
typed API a string where a number belongs is more likely a mistake than a
convenience, and 10 vs 0.10 must never be guessed.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from babyshield_chat.api.text_schema import trimmed_text_schema
from babyshield_chat.vocabulary import FlagSource, GuardAction

MAX_REASON_CHARS = 500
# What `_check_reason` accepts, as the OpenAPI document states it: some non-blank text, at most
# MAX_REASON_CHARS, no NUL (the check trims first, so the document is the stricter of the two).
REASON_SCHEMA = trimmed_text_schema(MAX_REASON_CHARS)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


def _check_reason(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string saying why, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValueError("must say why (it goes to the audit trail)")
    if len(text) > MAX_REASON_CHARS:
        raise ValueError(f"must be at most {MAX_REASON_CHARS} characters, got {len(text)}")
    if "\x00" in text:  # PostgreSQL text cannot hold it: it would fail the audit insert
        raise ValueError("must not contain NUL characters")
    return text


def check_fraction(value: object) -> float:
    """A rollout fraction from JSON: a finite number in [0, 1], never a string or a bool."""
    if isinstance(value, str):
        text = value.strip()
        hint = ""
        if text.endswith("%"):
            try:
                hint = f" ({text} is {float(text[:-1]) / 100:g})"
            except ValueError:
                pass
        raise ValueError(f"must be a number between 0 and 1 such as 0.1, not the string {value!r}{hint}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number between 0 and 1, got {type(value).__name__}")
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"must be between 0 and 1 (a fraction: 0.1 means 10%), got {value!r}")
    return float(value)


class FlagOverrideRequest(_Request):
    """PUT /api/v1/admin/flags/chat: merge into the override; fields left out keep their value."""

    # `_something_to_change`, as the OpenAPI document states it: a non-null enabled or rollout_pct.
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"anyOf": [
        {"required": ["enabled"], "properties": {"enabled": {"type": "boolean"}}},
        {"required": ["rollout_pct"], "properties": {"rollout_pct": {"type": "number"}}},
    ]})

    enabled: bool | None = Field(default=None, strict=True, description="The global kill switch.")
    rollout_pct: float | None = Field(default=None, description="Fraction of users in [0, 1]; 0.1 means 10%.",
                                      json_schema_extra={"minimum": 0, "maximum": 1})
    reason: str = Field(description="Why; stored in the audit trail.", json_schema_extra=REASON_SCHEMA)

    @field_validator("rollout_pct", mode="before")
    @classmethod
    def _fraction(cls, value: object) -> float | None:
        return None if value is None else check_fraction(value)

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: object) -> str:
        return _check_reason(value)

    @model_validator(mode="after")
    def _something_to_change(self) -> FlagOverrideRequest:
        if self.enabled is None and self.rollout_pct is None:
            raise ValueError("give enabled, rollout_pct or both; to go back to env use DELETE")
        return self


class ClearOverrideRequest(_Request):
    """DELETE /api/v1/admin/flags/chat: back to env; the reason goes to the audit trail."""

    reason: str = Field(description="Why; stored in the audit trail.", json_schema_extra=REASON_SCHEMA)

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: object) -> str:
        return _check_reason(value)


class FlagStateBody(_Response):
    enabled: bool
    rollout_pct: float
    source: FlagSource


class OverrideBody(_Response):
    enabled: bool | None = Field(description="null: env decides.")
    rollout_pct: float | None = Field(description="null: env decides.")
    updated_at: dt.datetime
    updated_by: str
    reason: str


class EnvFlagBody(_Response):
    enabled: bool
    rollout_pct: float


class AdminFlagResponse(_Response):
    """What this instance serves, where it comes from, and how fresh it is."""

    effective: FlagStateBody
    env: EnvFlagBody
    override: OverrideBody | None
    stale: bool = Field(description="True when this instance cannot reach the database and serves the last value it knew.")
    last_sync: dt.datetime | None = Field(description="When this instance last read the override from the database.")
    listening: bool = Field(description="Whether this instance's LISTEN connection is up.")
    trace_id: str = ""


class FlagChangeResponse(_Response):
    old: FlagStateBody
    new: FlagStateBody
    changed: bool
    audit_id: int
    trace_id: str = ""


class AuditEntryBody(_Response):
    id: int
    at: dt.datetime
    actor: str
    action: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    reason: str
    details: dict[str, Any] | None


class AuditResponse(_Response):
    entries: list[AuditEntryBody] = Field(description="Newest first.")
    trace_id: str = ""


class SoakBody(_Response):
    required_sec: float
    elapsed_sec: float | None = Field(description="null: no recorded change of the flag, so the soak start is unknown.")
    left_sec: float | None
    since: str | None


class TrafficBody(_Response):
    value: float | None = Field(description="Served chat requests per second (all but blocked); null: no data.")
    minimum: float
    problem: str | None


class GateBody(_Response):
    key: str
    name: str
    unit: Literal["ratio", "seconds"]
    value: float | None = Field(description="Instant value; null: no data (never green).")
    sustained: float | None = Field(description="Lowest value over the trigger's `for` (rollback triggers only).")
    warning: float
    critical: float
    state: Literal["ok", "warning", "critical", "no_data"]
    rollback_trigger: bool
    triggered: bool
    problem: str | None


class FeedbackBody(_Response):
    """Parents' votes since the phase began (the feedback gate)."""

    votes: float | None = Field(description="Votes cast in this phase; null: no data.")
    unhelpful: float | None
    unsafe: float | None
    min_votes: int = Field(description="Below this many votes the share is no data, and the guard holds.")
    value: float | None = Field(description="The unhelpful share; null: no data (never green).")
    state: Literal["ok", "warning", "critical", "no_data"]
    summary: str


class CostBody(_Response):
    """The daily LLM spend projected at the next percentage (the cost gate)."""

    from_pct: float
    to_pct: float
    measured_usd_per_day: float | None = Field(description="The spend rate now, in USD per day; null: no data.")
    projected_usd_per_day: float | None = Field(description="measured × to_pct / from_pct.")
    budget_usd_per_day: float | None = Field(
        description="The lower of BS_LLM_DAILY_BUDGET_USD and the policy's max_daily_cost_usd; null: none set.")
    budget_source: str | None
    over_budget: bool
    problem: str | None
    summary: str


class HeldBody(_Response):
    """A person's `rollout hold`: no promotion until `rollout resume`."""

    actor: str
    reason: str
    at: str


class AnnouncementBody(_Response):
    """A promotion announced ahead (with BS_ROLLOUT_NOTIFY_URL): to `target_pct`, not before `due_at`."""

    target_pct: float
    due_at: str
    at: str


class VerdictBody(_Response):
    action: GuardAction
    target_enabled: bool
    target_pct: float
    reasons: list[str]


class DecisionBody(_Response):
    id: int
    at: str
    actor: str
    action: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    reason: str


class RolloutResponse(_Response):
    """The rollout guard's view: what `babyshield-chat rollout status` prints, as JSON."""

    flag: FlagStateBody
    phases: list[float]
    phase: int | None = Field(description="1-based phase of the current percentage; null below the first phase.")
    next_pct: float | None
    soak: SoakBody
    traffic: TrafficBody
    gates: list[GateBody] = Field(description="The thresholds.yml gates now, then parents' votes over the phase.")
    feedback: FeedbackBody
    cost: CostBody | None = Field(description="null: no next percentage to project (0%, or fully rolled out).")
    held: HeldBody | None
    announcement: AnnouncementBody | None = Field(description="The promotion announced in this phase, if any.")
    verdict: VerdictBody = Field(description="What the guard would do now (this endpoint never acts).")
    prometheus_url: str | None
    last_decisions: list[DecisionBody] = Field(description="The flag's audit trail, newest first.")
    trace_id: str = ""


class RolloutActionRequest(ClearOverrideRequest):
    """POST /api/v1/admin/rollout/advance and /rollback: why (as for DELETE), and whether only to preview it."""

    dry_run: bool = Field(default=False, strict=True,
                          description="Say what would happen and change nothing (the CLI's --dry-run).")


class AdvanceResponse(_Response):
    """One guard evaluation, applied unless `dry_run`: what `babyshield-chat rollout advance` does."""

    verdict: VerdictBody
    summary: str = Field(description="The decision in one line, as the audit trail records it.")
    changes_flag: bool = Field(description="Whether the decision changes the flag (false: a hold).")
    dry_run: bool
    audit_id: int | None = Field(description="The audit row of the decision; null on a dry run.")
    trace_id: str = ""


class RollbackResponse(_Response):
    """A person's step back (`babyshield-chat rollout rollback`): to the last stable percentage, or half."""

    from_pct: float
    to_pct: float
    dry_run: bool
    audit_id: int | None = Field(description="The audit row of the change; null on a dry run.")
    trace_id: str = ""
