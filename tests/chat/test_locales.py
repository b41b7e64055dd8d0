"""Tests for locale parsing: answer language and emergency numbers."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.locales import answer_language, parse_locale


@pytest.mark.parametrize(
    ("tag", "language", "region"),
    [
        ("en-US", "en", "US"),
        ("es-US", "es", "US"),
        ("es_MX", "es", "MX"),
        ("ES-es", "es", "ES"),
        ("es", "es", None),
        ("es-419", "es", "419"),
        ("zh-Hant-TW", "en", "TW"),
        ("fr-FR", "en", "FR"),
        (None, "en", None),
        ("", "en", None),
        ("not a locale!", "en", None),
    ],
)
def test_language_is_spanish_for_every_es_tag_and_english_otherwise(tag, language, region) -> None:
    loc = parse_locale(tag)

    assert (loc.language, loc.region) == (language, region)


@pytest.mark.parametrize(
    ("tag", "number"),
    [
        ("en-US", "911"),
        (None, "911"),
        ("es", "911"),
        ("en-CA", "911"),
        ("es-MX", "911"),
        ("en-GB", "999"),
        ("de-DE", "112"),
        ("pt-PT", "112"),
        ("sv-SE", "112"),
        ("nb-NO", "112"),
        ("en-AU", "000"),
        ("en-ZA", None),
        ("es-419", None),
    ],
)
def test_emergency_number_is_known_or_none_never_guessed(tag, number) -> None:
    assert parse_locale(tag).emergency_number == number


@pytest.mark.parametrize(
    ("tag", "has_line"), [("en-US", True), ("es-US", True), (None, True), ("en-GB", False), ("es-MX", False)]
)
def test_us_poison_control_only_where_it_answers(tag, has_line) -> None:
    assert (parse_locale(tag).poison_control == "1-800-222-1222") is has_line


@pytest.mark.parametrize(
    ("locale", "message", "language"),
    [
        ("en-US", "mi hija es alérgica a la leche, ¿puede tomar esto?", "es"),
        ("es-MX", "Is this stroller recalled?", "en"),
        ("es-MX", "ok?", "es"),
        ("en-US", "Graco 4Ever", "en"),
        (None, "¿Está retirado?", "es"),
    ],
)
def test_the_answer_follows_the_language_the_parent_wrote_in_else_the_locale(locale, message, language) -> None:
    assert answer_language(locale, message) == language
