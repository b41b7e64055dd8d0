"""Behaviour of the fake LLM's reply writer: schema-valid, grounded in the request."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field

from babyshield_chat.chat.model import (
    Answer,
    Check,
    Evidence,
    SynthesisRequest,
    ToolResult,
)
from babyshield_chat.devtools.fake_llm.completions import (
    INVENTED_RECALL_ID,
    completion_body,
    estimate_tokens,
    prompt_tokens,
    reply_content,
)
from babyshield_chat.llm.prompt import classification_messages, synthesis_messages
from babyshield_chat.llm.schema import response_format, strict_json_schema

RECALL = Evidence(type="recall", id="24-123", title="Acme Sleeper recall", url="https://www.cpsc.gov/x")


def synthesis_request(schema_model: type[BaseModel] = Answer, **schema_kwargs: object) -> dict:
    request = SynthesisRequest(
        question="Is it recalled?",
        intent="recall_details",
        tool_results=[
            ToolResult(
                name="recall_lookup",
                ok=True,
                checks=[Check(name="recall", status="fail", detail="Recalled in 2024")],
                evidence=[RECALL],
            ),
            ToolResult(name="age_check", ok=False, error="timeout"),
        ],
    )
    schema = strict_json_schema(schema_model, **schema_kwargs)  # type: ignore[arg-type]
    return {
        "model": "gpt-4o-mini",
        "messages": synthesis_messages(request),
        "response_format": response_format("answer", schema),
    }


def test_answer_reply_is_valid_for_the_requested_schema_and_cites_the_input_evidence() -> None:
    answer = Answer.model_validate_json(reply_content(synthesis_request()))
    assert answer.evidence == [RECALL]
    assert answer.checks == [Check(name="recall", status="fail", detail="Recalled in 2024")]
    assert "Could not check: age_check" in answer.summary


def test_reply_carries_exactly_the_fields_the_schema_asks_for() -> None:
    content = json.loads(reply_content(synthesis_request(omit=("checks", "emergency"))))
    assert set(content) == {"summary", "reasons", "flags", "evidence", "suggested_questions", "disclaimer"}


def test_invent_evidence_adds_a_recall_that_no_tool_returned() -> None:
    answer = Answer.model_validate_json(reply_content(synthesis_request(), invent_evidence=True))
    assert [e.id for e in answer.evidence] == ["24-123", INVENTED_RECALL_ID]


def test_classifier_reply_picks_an_intent_from_the_enum() -> None:
    class IntentReply(BaseModel):
        intent: Literal["recall_details", "pregnancy_risk", "unclear_intent"]
        confidence: float = Field(ge=0, le=1)

    for question, intent in [("Is this OK while pregnant?", "pregnancy_risk"), ("hello", "unclear_intent")]:
        body = {
            "messages": classification_messages(question, None),
            "response_format": response_format("intent", strict_json_schema(IntentReply)),
        }
        reply = IntentReply.model_validate_json(reply_content(body))
        assert reply.intent == intent and 0 <= reply.confidence <= 1


def test_a_guessed_value_outside_the_enum_falls_back_to_an_allowed_one() -> None:
    class Narrow(BaseModel):
        intent: Literal["age_appropriateness"]
        confidence: float

    body = {
        "messages": classification_messages("recall?", None),
        "response_format": response_format("n", strict_json_schema(Narrow)),
    }
    assert json.loads(reply_content(body))["intent"] == "age_appropriateness"


def test_fields_without_data_get_values_of_the_right_type() -> None:
    class Odd(BaseModel):
        count: int = Field(ge=3)
        ratio: float
        on: bool
        note: str | None
        tags: list[str]

    body = {
        "messages": [{"role": "user", "content": "no fence here"}],
        "response_format": response_format("odd", strict_json_schema(Odd)),
    }
    assert Odd.model_validate_json(reply_content(body)) == Odd(count=3, ratio=0, on=False, note=None, tags=[])


def test_without_a_schema_the_reply_is_plain_text() -> None:
    body = synthesis_request()
    del body["response_format"]
    content = reply_content(body)
    assert content.startswith("From the checks:")


def test_completion_body_reports_usage_consistently() -> None:
    body = completion_body("gpt-4o-mini", "x" * 40, prompt_tokens=12, sequence=3)
    assert body["usage"] == {"prompt_tokens": 12, "completion_tokens": 10, "total_tokens": 22}
    assert body["choices"][0]["message"]["content"] == "x" * 40
    assert body["id"] == "chatcmpl-fake-3"


def test_prompt_tokens_grow_with_the_messages() -> None:
    short = {"messages": [{"role": "user", "content": "hi"}]}
    long = {"messages": [{"role": "user", "content": "hi" * 400}]}
    assert prompt_tokens(short) < prompt_tokens(long)
    assert estimate_tokens("") == 1
