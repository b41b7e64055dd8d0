"""An answer's message id says whom it was answered for and its intent, and nothing can change either."""

from __future__ import annotations

import uuid

from babyshield_chat.chat.message_ids import INTENT_CODES, MessageIds
from babyshield_chat.vocabulary import INTENTS


def test_the_caller_gets_the_intent_of_their_own_answer_back():
    ids = MessageIds("a-key-of-at-least-sixteen-characters")
    for intent in INTENTS:
        assert ids.answered("parent-1", ids.issue("parent-1", intent)) == intent


def test_another_users_answer_or_a_made_up_id_is_not_answered():
    ids = MessageIds("a-key-of-at-least-sixteen-characters")
    issued = ids.issue("parent-1", "recall_details")
    assert ids.answered("parent-2", issued) is None
    assert ids.answered("parent-1", uuid.uuid4()) is None


def test_intent_codes_are_stable_and_cover_every_intent():
    # Every id ever issued carries one of these codes: renumbering would mislabel old answers' votes.
    assert dict(INTENT_CODES) == {
        "recall_details": 1, "pregnancy_risk": 2, "allergy_question": 3, "ingredient_info": 4,
        "age_appropriateness": 5, "alternative_products": 6, "unclear_intent": 7, "explain_scan": 8,
        "emergency": 9,
    }
    assert set(INTENT_CODES) == set(INTENTS)
