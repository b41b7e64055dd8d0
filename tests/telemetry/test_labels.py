"""The closed label vocabularies: known values pass, anything else becomes `other`."""

import pytest

from babyshield_chat.vocabulary import FALLBACK_REASONS, INTENTS
from babyshield_chat.telemetry import labels


def test_known_values_pass_through_unchanged():
    assert labels.ENDPOINT.normalize("conversation") == "conversation"
    assert labels.REQUEST_OUTCOME.normalize("blocked") == "blocked"
    assert labels.BREAKER.normalize("tool:recall_lookup") == "tool:recall_lookup"


@pytest.mark.parametrize(
    "client_value",
    ["/api/v1/chat/conversations/7b0c", "alice@example.com", "OK", " ok", "", None, 42],
)
def test_values_outside_the_set_become_other(client_value):
    assert labels.REQUEST_OUTCOME.normalize(client_value) == "other"


def test_intents_are_the_chat_models_plus_none():
    assert set(labels.REQUEST_INTENTS) == {*INTENTS, "none"}


def test_synth_outcomes_are_ok_or_a_fallback_reason():
    assert set(labels.SYNTH_OUTCOMES) == {"ok", *FALLBACK_REASONS}


def test_every_tool_has_a_breaker_and_is_a_retry_dependency():
    tools = {"recall_lookup", "age_check", "allergen_check", "pregnancy_check", "ingredient_info", "alternatives"}
    assert set(labels.TOOL.values) == tools
    assert {f"tool:{tool}" for tool in tools} | {"llm:synth", "llm:router"} == set(labels.BREAKERS)
    assert set(labels.DEPENDENCIES) == tools | {"llm", "db"}


def test_model_set_accepts_configured_models_and_offline_only():
    models = labels.model_set(["gpt-4o-mini", "gpt-4o"])
    assert models.normalize("gpt-4o") == "gpt-4o"
    assert models.normalize("offline") == "offline"
    assert models.normalize("gpt-5-from-the-request") == "other"


@pytest.mark.parametrize("models", [[], [""], [None]])
def test_model_set_refuses_missing_model_names(models):
    with pytest.raises(ValueError):
        labels.model_set(models)


@pytest.mark.parametrize(
    ("status", "blocked", "intent", "synthesizer", "replayed", "outcome"),
    [
        (200, False, "recall_details", "llm", False, "ok"),
        (200, False, "recall_details", "offline", False, "ok"),
        (200, False, "recall_details", "fallback", False, "fallback"),
        (200, False, "emergency", "offline", False, "emergency"),
        # A replay answers nothing anew: whatever wrote the stored answer, nothing fell back now.
        (200, False, "recall_details", "fallback", True, "ok"),
        (403, True, None, None, False, "blocked"),
        (403, False, None, None, False, "rejected"),
        (400, False, None, None, False, "rejected"),
        (429, False, None, None, False, "rejected"),
        (500, False, None, None, False, "error"),
        (503, False, None, None, False, "error"),
    ],
)
def test_one_function_decides_the_request_outcome(status, blocked, intent, synthesizer, replayed, outcome):
    assert labels.request_outcome(status, blocked=blocked, intent=intent, synthesizer=synthesizer,
                                  replayed=replayed) == outcome
