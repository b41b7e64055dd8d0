"""The chat's domain model: products, profiles, tool results, answers and replies.

These pydantic models are the single definition of the answer shape of spec
section 1. The HTTP layer serves them, the OpenAPI document is generated from
them, the offline writer fills them, and the LLM synthesizer derives its strict
JSON schema from them, so a field added here shows up everywhere at once.

The domain's own errors are here too, and none of them knows HTTP: the
pipeline raises `ConversationNotFound` and `DuplicateInProgress`, which the
API maps to 404 and 409; a `Synthesizer` raises `SynthesisError`, which the
pipeline answers with the fallback writer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from babyshield_chat.vocabulary import (
    FALLBACK_REASONS,
    EmergencyLevel,
    FactSource,
    FallbackReason,
    FindingAnswer,
    FindingKind,
    Intent,
    Language,
    RuleIntent,
    SynthesizerKind,
    ToolName,
)

CheckStatus = Literal["pass", "warn", "fail", "unknown"]
EvidenceType = Literal["recall", "regulation", "guideline", "label"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _text(max_length: int) -> Any:
    """A string PostgreSQL can store and compare: no NUL (its text type cannot hold one).

    Lone surrogates never get this far (`api.responses` refuses them as
    invalid JSON), so what passes here is text the recall search and the
    memory tables take as it is: a client's odd input is the client's 400,
    never a database error that a circuit breaker would count.
    """
    return Annotated[str, StringConstraints(max_length=max_length, pattern=r"^[^\x00]*$")]


class Product(_Frozen):
    """What the app knows about the scanned product; every field optional.

    Types are strict (spec section 1): `age_min_months` is a JSON integer, never `2.0` or `false`.
    """

    name: _text(300) | None = None
    brand: _text(200) | None = None
    model: _text(100) | None = None
    upc: str | None = Field(default=None, pattern=r"^[0-9]{8,14}$")
    category: _text(100) | None = None
    ingredients: list[_text(200)] = Field(default_factory=list, max_length=200)
    age_min_months: int | None = Field(default=None, ge=0, le=240, strict=True)


# One allergy as the parent names it; stored in a PostgreSQL text[], which cannot hold NUL.
Allergy = _text(100)


class Profile(_Frozen):
    """The parent's chat profile (spec section 1, `/api/v1/chat/profile`)."""

    consent_memory: bool = False
    allergies: list[Allergy] = Field(default_factory=list, max_length=50)
    pregnancy_trimester: Literal[1, 2, 3] | None = None
    child_birthdate: dt.date | None = None


class ChildAge(_Frozen):
    """How old the child is, and who said so (spec 4b.6).

    `weeks` is kept when the parent counted in weeks ("my 5 week old"), and
    `newborn` when they said "newborn", so the answer repeats it their way.
    """

    months: int = Field(ge=0, le=240)
    weeks: int | None = Field(default=None, ge=0)
    newborn: bool = False
    source: FactSource


class Pregnancy(_Frozen):
    """The parent's pregnancy as far as it is known: "30 weeks pregnant", "third trimester", or only "pregnant"."""

    trimester: Literal[1, 2, 3] | None = None
    weeks: int | None = Field(default=None, ge=1, le=45)
    source: FactSource


class Stated(_Frozen):
    """Facts the message itself states, for this answer only and never stored (spec 4b.6).

    `allergies` are the child's allergies as the parent wrote them ("dairy");
    `asked_allergens` are allergens the question asks about without calling
    them an allergy ("does it have soy?"). `breastfeeding` says the question
    is about breastfeeding ("while breastfeeding", "durante la lactancia"),
    which is not a pregnancy.
    """

    child_age: ChildAge | None = None
    pregnancy: Pregnancy | None = None
    allergies: list[str] = Field(default_factory=list)
    asked_allergens: list[str] = Field(default_factory=list)
    breastfeeding: bool = False


class Check(_Frozen):
    name: str
    status: CheckStatus
    detail: str


class Evidence(_Frozen):
    type: EvidenceType
    id: str
    title: str
    url: str | None = None
    date: str | None = None


class Emergency(_Frozen):
    level: EmergencyLevel
    reason: str
    call_to_action: str


class Answer(_Frozen):
    summary: str
    reasons: list[str] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    suggested_questions: list[str] = Field(default_factory=list)
    disclaimer: str
    emergency: Emergency | None = None


class ToolReport(_Frozen):
    """One tool's line in the response's `tools` list."""

    name: ToolName
    ok: bool
    latency_ms: int
    error: str | None = None


class ToolResult(_Frozen):
    """What a tool found, for the writer (offline or LLM) to turn into an answer.

    `ok` is False when the tool could not run; its checks are then `unknown`
    with the reason, never `pass`. `facts` carries tool-specific data (recall
    rows, allergen matches, ...) that the LLM receives as JSON data.
    `data_as_of` is the freshness of the data the tool read, where it applies.
    """

    name: ToolName
    ok: bool
    latency_ms: int = 0
    checks: list[Check] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    facts: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    data_as_of: dt.datetime | None = None

    def report(self) -> ToolReport:
        return ToolReport(name=self.name, ok=self.ok, latency_ms=self.latency_ms, error=self.error)


class Finding(_Frozen):
    """One thing the checks found, ready to be said (spec 4b.7).

    The chat domain ranks findings once (`chat.findings`), most serious first,
    and every writer leads with the first: `lead` is the first sentence that
    answers the question from it, `statement` says the same on its own for
    a later place in the answer, both in the answer's language. `answer` is
    how the lead answers ("no": "No" or "Stop using it"), which is also what an
    LLM's summary is checked against.
    """

    kind: FindingKind
    answer: FindingAnswer
    status: CheckStatus
    lead: str
    statement: str
    tool: ToolName | None = None
    check: str | None = None
    #: It answers a concern the message raised ("is it recalled?"): said even when nothing was found.
    asked: bool = False


class SynthesisRequest(_Frozen):
    """Everything a writer may use. The question is data, never instructions."""

    question: str
    intent: Intent
    locale: str | None = None
    product: Product | None = None
    profile: Profile = Field(default_factory=Profile)
    tool_results: list[ToolResult] = Field(default_factory=list)
    #: The answer's language (the message's, else the locale's: `chat.locales.answer_language`).
    language: Language = "en"
    #: Everything the message asks about; `intent` is the primary one (spec 4b.5).
    concerns: list[RuleIntent] = Field(default_factory=list)
    stated: Stated = Field(default_factory=Stated)
    #: Ranked, most serious first; every writer leads with the first (spec 4b.7).
    findings: list[Finding] = Field(default_factory=list)
    #: "Recall data checked 2026-12-02; newest recall 2026-08-13." when recalls were looked up (spec 4b.10).
    freshness: str | None = None


class Synthesizer(Protocol):
    """Writes an answer from tool results.

    The offline writer and the LLM synthesizer both implement this, so the
    pipeline does not change when one replaces the other.
    """

    async def write(self, request: SynthesisRequest) -> Answer: ...


class SynthesisError(Exception):
    """A `Synthesizer` could not write the answer; `reason` is the fallback reason (spec step 6)."""

    def __init__(self, reason: FallbackReason, detail: str = "") -> None:
        if reason not in FALLBACK_REASONS:
            raise ValueError(f"reason must be one of {list(FALLBACK_REASONS)}, got {reason!r}")
        super().__init__(f"LLM synthesis failed ({reason})" + (f": {detail}" if detail else ""))
        self.reason: FallbackReason = reason


class Reply(_Frozen):
    """What the parent gets for one message or scan (spec section 1), without the HTTP envelope.

    `conversation_id` and `message_id` are None for the explain endpoint,
    which has no conversation. This is also what the idempotency record
    stores and replays.
    """

    conversation_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None
    intent: Intent
    answer: Answer
    tools: list[ToolReport]
    synthesizer: SynthesizerKind
    fallback_reason: FallbackReason | None = None
    memory_saved: bool


class ConversationNotFound(LookupError):
    """The conversation is not the caller's, or does not exist: the two are never told apart."""


class DuplicateInProgress(RuntimeError):
    """The same `client_message_id` is still being answered and its answer did not come in time."""

    def __init__(self, retry_after_sec: int = 1) -> None:
        super().__init__("a request with this client_message_id is still being answered")
        self.retry_after_sec = retry_after_sec
