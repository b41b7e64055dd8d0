"""Tests for the offline writer's phrasebook."""

from __future__ import annotations

import re

import pytest

from babyshield_chat.chat import offline_text as text
from babyshield_chat.chat.tools.common import Says
from babyshield_chat.vocabulary import FALLBACK_REASONS

SAFE_WORDS = re.compile(r"\b(?:safe|safer|seguro|segura)\b", re.IGNORECASE)


def every_sentence() -> list[Says]:
    sentences: list[Says] = [text.GENERIC_FALLBACK, text.INCOMPLETE_CHECKS, text.DISCLAIMER]
    sentences += [s for leads in text.LEADS.values() for s in leads.values()]
    sentences += list(text.GENERIC_LEADS.values()) + list(text.FALLBACK_NOTICES.values())
    sentences += list(text.RECALL.values()) + list(text.ALTERNATIVES.values())
    return sentences


def test_no_answer_sentence_calls_anything_safe() -> None:
    for says in every_sentence():
        assert not SAFE_WORDS.search(says.en), says.en
        assert not SAFE_WORDS.search(says.es), says.es


@pytest.mark.parametrize("reason", FALLBACK_REASONS)
def test_every_fallback_reason_has_its_own_notice(reason: str) -> None:
    notice = text.FALLBACK_NOTICES[reason]

    assert notice.en.endswith("built directly from the checks.")
    assert notice.es.endswith("a partir de las comprobaciones.")


def test_the_ingredient_question_has_a_lead_for_every_status() -> None:
    assert set(text.LEADS["ingredient_info"]) == {"fail", "warn", "unknown", "pass"}


def test_every_tool_topic_reads_in_the_failure_notice() -> None:
    for tool in text.TOOL_TOPICS:
        notice = text.tool_failed(tool)
        assert notice.en.startswith("The check of ") and "could not be completed" in notice.en
        assert notice.es.startswith("No se pudo completar")


def test_unknown_tool_names_are_used_as_they_are() -> None:
    assert text.missing_tool_lead("weather").en == "We could not check weather right now."
