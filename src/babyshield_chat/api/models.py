"""Request and response bodies of spec section 1, as pydantic models.

The same classes validate traffic and generate the OpenAPI document, so the
document cannot drift from what the service accepts. Request models reject
unknown fields (`extra="forbid"`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from babyshield_chat.chat.model import Product, Profile, Reply
from babyshield_chat.api.text_schema import trimmed_text_schema
from babyshield_chat.vocabulary import FeedbackReason, FlagReason, FlagSource

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
    client_message_id: str | None = Field(default=None, min_length=1, max_length=64)
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


class ProfileBody(Profile):
    """PUT /profile takes the whole profile; unknown fields are rejected."""

    @field_validator("pregnancy_trimester", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: object) -> object:
        # JSON true would otherwise pass as the trimester 1 (True == 1 in Python).
        if isinstance(value, bool):
            raise ValueError("must be 1, 2, 3 or null, not a boolean")
        return value


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


class FeedbackRequest(_Request):
    """A parent's vote on one answer: no free text, only the closed set of reasons."""

    message_id: uuid.UUID = Field(description="The `message_id` of an answer the service gave the caller.")
    helpful: bool = Field(strict=True, description="true: the answer helped; false: it did not (a JSON boolean).")
    reason: FeedbackReason | None = Field(
        default=None, description="Why it did not help, when the parent said; null or absent: no reason given.")


class FeedbackResponse(_Response):
    recorded: Literal[True] = Field(description="The vote is stored (replacing this caller's earlier vote on the "
                                                "same answer) and counted.")
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
