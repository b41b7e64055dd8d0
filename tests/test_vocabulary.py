"""The closed sets are spelled once: every table keyed by one of them covers exactly its values."""

from __future__ import annotations

from babyshield_chat.api.models import ChatResponse, FlagsResponse
from babyshield_chat.chat.tools import alternatives, recall_lookup
from babyshield_chat.chat.tools.registry import CHECK_NAMES, TOOLS, TOOLS_BY_INTENT
from babyshield_chat.devtools.soak import QUESTIONS
from babyshield_chat.llm.prompt import INTENT_DESCRIPTIONS
from babyshield_chat.telemetry import labels
from babyshield_chat.vocabulary import (
    ENDPOINTS,
    FALLBACK_REASONS,
    FEEDBACK_REASONS,
    FLAG_REASONS,
    INTENTS,
    NO_FEEDBACK_REASON,
    NO_INTENT,
    REQUEST_OUTCOMES,
    RULE_INTENTS,
    SYNTHESIZER_KINDS,
    TOOL_NAMES,
)


def test_every_intent_has_its_tools_and_every_tool_its_runner_and_check():
    assert set(TOOLS_BY_INTENT) == set(INTENTS)
    assert set(TOOLS) == set(CHECK_NAMES) == set(TOOL_NAMES)
    assert {tool for tools in TOOLS_BY_INTENT.values() for tool in tools} <= set(TOOL_NAMES)
    assert {recall_lookup.NAME, alternatives.NAME} <= set(TOOL_NAMES)


def test_the_llm_classifier_and_the_soak_drill_know_every_routable_intent():
    assert tuple(INTENT_DESCRIPTIONS) == RULE_INTENTS
    assert set(QUESTIONS) == set(RULE_INTENTS)


def test_metric_labels_take_their_values_from_the_vocabulary():
    assert labels.ENDPOINT.values == frozenset(ENDPOINTS)
    assert labels.REQUEST_OUTCOME.values == frozenset(REQUEST_OUTCOMES)
    assert labels.REQUEST_INTENT.values == frozenset({*INTENTS, NO_INTENT})
    assert labels.FALLBACK_REASON.values == frozenset(FALLBACK_REASONS)
    assert labels.TOOL.values == frozenset(TOOL_NAMES)
    assert labels.FEEDBACK_REASON.values == frozenset({*FEEDBACK_REASONS, NO_FEEDBACK_REASON})
    assert labels.FEEDBACK_INTENT.values == frozenset(INTENTS)


def test_the_openapi_document_states_the_closed_sets():
    chat = ChatResponse.model_json_schema()
    assert chat["properties"]["intent"]["enum"] == list(INTENTS)
    assert chat["properties"]["synthesizer"]["enum"] == list(SYNTHESIZER_KINDS)
    assert FlagsResponse.model_json_schema()["properties"]["reason"]["enum"] == list(FLAG_REASONS)
