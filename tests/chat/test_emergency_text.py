"""Tests for what the emergency answer says, per category, language and region."""

from __future__ import annotations

import pytest

from babyshield_chat.chat import emergency_rules
from babyshield_chat.chat.emergency_text import call_to_action, category_of_reason, first_aid, reason
from babyshield_chat.chat.locales import parse_locale

CATEGORIES = [(rule.category, rule.level) for rule in emergency_rules.RULES]


@pytest.mark.parametrize(("category", "level"), CATEGORIES)
@pytest.mark.parametrize(("locale", "number"), [("en-US", "911"), ("en-GB", "999"), ("fr-FR", "112"), ("es-MX", "911")])
def test_every_call_to_action_names_the_regional_number(category: str, level: str, locale: str, number: str) -> None:
    cta = call_to_action(category, level, parse_locale(locale))

    assert number in cta
    assert not ({"911", "999", "112"} - {number}) & set(cta.replace(".", " ").split())


@pytest.mark.parametrize(("category", "level"), CATEGORIES)
def test_unknown_region_gets_the_local_number_wording_in_both_languages(category: str, level: str) -> None:
    english = call_to_action(category, level, parse_locale("en-ZA"))
    spanish = call_to_action(category, level, parse_locale("es-CO"))

    assert "local emergency number" in english
    assert "emergencias local" in spanish
    assert not any(n in english + spanish for n in ("911", "999", "112"))


@pytest.mark.parametrize("category", ["battery", "poisoning", "magnet"])
def test_us_ingestion_answers_give_poison_control(category: str) -> None:
    level = dict(CATEGORIES)[category]

    assert "1-800-222-1222" in call_to_action(category, level, parse_locale("en-US"))
    assert "1-800-222-1222" not in call_to_action(category, level, parse_locale("en-GB"))


@pytest.mark.parametrize(("category", "level"), CATEGORIES)
def test_reasons_map_back_to_their_category_in_both_languages(category: str, level: str) -> None:
    assert category_of_reason(reason(category, "en")) == category
    assert category_of_reason(reason(category, "es")) == category


def test_first_aid_always_ends_by_saying_not_to_wait_for_the_chat() -> None:
    for category, _ in CATEGORIES:
        assert first_aid(category, "en")[-1] == "Do not wait for a reply in this chat."
        assert first_aid(category, "es")[-1] == "No espere una respuesta en este chat."


def test_reason_not_written_by_us_has_no_category() -> None:
    assert category_of_reason("Something else.") is None
