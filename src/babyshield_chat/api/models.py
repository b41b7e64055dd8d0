"""Request and response bodies of spec section 1, as pydantic models.

The same classes validate traffic and generate the OpenAPI document, so the
document cannot drift from what the service accepts. Request models reject
unknown fields (`extra="forbid"`).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from babyshield_chat.chat.model import Allergy, Product, Profile, Reply
from babyshield_chat.api.text_schema import trimmed_text_schema
from babyshield_chat.vocabulary import FlagReason, FlagSource

MAX_MESSAGE_CHARS = 2000

Locale = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$", max_length=35)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


# What `_trimmed_length` accepts, as the OpenAPI document states it (stricter by the whitespace it
# trims): not blank, at most MAX_MESSAGE_CHARS, no NUL character.
MESSAGE_SCHEMA = trimmed_text_schema(MAX_MESSAGE_CHARS)


class ConversationRequest(_Request):
    message: str = Field(description="The parent's question; 1..2000 characters after trimming.",
                         json_schema_extra=MESSAGE_SCHEMA)
    conversation_id: uuid.UUID | None = None
    product: Product | None = None
    # No NUL: the idempotency record is a PostgreSQL text key, and an id it cannot hold must be
    # the client's 400, never a request answered with its idempotency silently skipped.
    client_message_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[^\x00]*$")
    locale: Locale | None = None

    @field_validator("message")
    @classmethod
    def _trimmed_length(cls, value: str) -> str:
        text = value.strip()
        if not text:
            raise ValueError("must not be empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise ValueError(f"must be at most {MAX_MESSAGE_CHARS} characters after trimming, got {len(text)}")
        if "\x00" in text:
            raise ValueError("must not contain NUL characters")
        return text


class ExplainRequest(_Request):
    product: Product
    locale: Locale | None = None


class ChatResponse(Reply):
    """The reply with the request's `trace_id`: the body of the conversation and explain endpoints."""

    trace_id: str = ""


class FlagsResponse(_Response):
    chat_enabled_global: bool
    chat_rollout_pct: float
    chat_enabled_for_user: bool
    reason: FlagReason
    source: FlagSource
    source_stale: bool = Field(
        default=False,
        description="True when this instance cannot currently confirm the flag with its database and serves "
        "the last value it knew (from `source`).",
    )
    trace_id: str = ""


class Message(_Response):
    message_id: uuid.UUID
    role: Literal["user", "assistant"]
    content: str
    intent: str | None = None
    created_at: dt.datetime
    trace_id: str | None = None


class ConversationResponse(_Response):
    conversation_id: uuid.UUID
    messages: list[Message]
    trace_id: str = ""


# A birth date is at most this many years back (spec section 1).
MAX_CHILD_AGE_YEARS = 25
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# "Today" is the latest calendar date anywhere (UTC+14): a parent east of UTC may already be on
# tomorrow's date, and refusing a baby born "today" there would be wrong.
_LATEST_UTC_OFFSET = dt.timedelta(hours=14)


def check_birthdate(value: object) -> dt.date | None:
    """A `YYYY-MM-DD` string, not in the future, at most MAX_CHILD_AGE_YEARS back; or null."""
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError(f"must be a date written YYYY-MM-DD, got {type(value).__name__} {value!r:.40}")
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"is not a calendar date: {value!r}") from None
    today = (dt.datetime.now(dt.UTC) + _LATEST_UTC_OFFSET).date()
    if date > today:
        raise ValueError(f"must not be in the future, got {value}")
    earliest = today.replace(year=today.year - MAX_CHILD_AGE_YEARS, day=min(today.day, 28))
    if date < earliest:
        raise ValueError(f"must be at most {MAX_CHILD_AGE_YEARS} years back, got {value}")
    return date


def check_trimester(value: object) -> object:
    """1, 2, 3 or null as a JSON integer: `true` (== 1 in Python) and `2.0` are refused."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"must be 1, 2, 3 or null, not {type(value).__name__} {value!r:.20}")
    return value


_BIRTHDATE_SCHEMA = {"anyOf": [{"type": "string", "format": "date", "pattern": _DATE.pattern}, {"type": "null"}]}


class _StrictProfileFields(_Request):
    """The profile's strict field checks, shared by PUT and PATCH."""

    @field_validator("child_birthdate", mode="before", check_fields=False)
    @classmethod
    def _birthdate(cls, value: object) -> dt.date | None:
        return check_birthdate(value)

    @field_validator("pregnancy_trimester", mode="before", check_fields=False)
    @classmethod
    def _trimester(cls, value: object) -> object:
        return check_trimester(value)


class ProfileBody(_StrictProfileFields):
    """PUT /profile: the whole profile, every field required (a partial body must never wipe the allergies).

    Types are strict (spec section 1): booleans are JSON booleans, the
    trimester a JSON integer, the birth date a `YYYY-MM-DD` string.
    """

    consent_memory: bool = Field(strict=True)
    allergies: list[Allergy] = Field(max_length=50)
    pregnancy_trimester: Literal[1, 2, 3] | None
    child_birthdate: dt.date | None = Field(json_schema_extra=_BIRTHDATE_SCHEMA)

    def profile(self) -> Profile:
        return Profile.model_validate(self.model_dump())


class ProfilePatch(_StrictProfileFields):
    """PATCH /profile: any subset of the profile's fields, merged into the stored profile.

    Only the trimester and the birth date can be cleared with null; the
    consent and the allergy list are strict (null is refused, `[]` clears).
    """

    consent_memory: bool = Field(default=None, strict=True)
    allergies: list[Allergy] = Field(default=None, max_length=50)
    pregnancy_trimester: Literal[1, 2, 3] | None = None
    child_birthdate: dt.date | None = Field(default=None, json_schema_extra=_BIRTHDATE_SCHEMA)

    def merged(self, stored: Profile | None) -> Profile:
        """The stored profile (or the default one) with the fields this body names replaced."""
        base = stored or Profile()
        return Profile.model_validate({**base.model_dump(), **self.model_dump(include=self.model_fields_set)})


class ProfileResponse(Profile):
    model_config = ConfigDict(frozen=True, extra="allow")
    trace_id: str = ""


class DeletedCounts(_Response):
    conversations: int
    messages: int
    profile: bool


class EraseResponse(_Response):
    deleted: DeletedCounts
    trace_id: str = ""


class HealthResponse(_Response):
    status: Literal["ok", "not_ready"]
    trace_id: str = ""


class ErrorDetail(_Response):
    field: str
    problem: str


class ErrorInfo(_Response):
    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ErrorResponse(_Response):
    error: ErrorInfo
    trace_id: str
