"""Tests for the context patterns that cancel or date an emergency phrase."""

from __future__ import annotations

import pytest

from babyshield_chat.chat import emergency_rules as rules
from babyshield_chat.chat.text import fold


@pytest.mark.parametrize(
    ("window", "negated"),
    [
        ("he is not", True),
        ("she isn't", True),
        ("he hasnt", True),
        ("ella no se", True),
        ("nunca se", True),
        ("i think he", False),
        ("i want to know if", False),
        ("she cannot", False),
    ],
)
def test_negation_words(window: str, negated: bool) -> None:
    assert bool(rules.NEGATION.search(fold(window))) is negated


@pytest.mark.parametrize(
    ("window", "hypothetical"),
    [
        ("could this", True),
        ("the warning says", True),
        ("what are the signs that", True),
        ("is there a risk of", True),
        ("qué pasa si", True),
        ("se puede", True),
        ("he might have", False),
        ("puede que se haya", False),
        ("can you help, my son", False),
        ("can't tell if he", False),
        ("i think my son", False),
    ],
)
def test_hypothetical_words(window: str, hypothetical: bool) -> None:
    assert bool(rules.HYPOTHETICAL.search(fold(window))) is hypothetical


@pytest.mark.parametrize(
    ("clause", "dated"),
    [
        ("he choked on a grape yesterday", True),
        ("she had a seizure two weeks ago", True),
        ("when he was a baby he burned his hand", True),
        ("se atraganto ayer", True),
        ("hace tres dias se golpeo la cabeza", True),
        ("he is choking right now", False),
        ("my son hit his head", False),
    ],
)
def test_past_time_markers(clause: str, dated: bool) -> None:
    assert bool(rules.PAST.search(fold(clause))) is dated


@pytest.mark.parametrize(
    ("message", "resolved"),
    [
        ("he is fine now", True),
        ("my daughter seems okay", True),
        ("ya está bien", True),
        ("hes fine now", True),
        ("theyre okay", True),
        ("is he ok now?", False),
        ("he was fine this morning", False),
    ],
)
def test_resolution_statements(message: str, resolved: bool) -> None:
    assert bool(rules.RESOLVED.search(fold(message))) is resolved


def test_every_rule_has_english_and_spanish_phrasings_and_a_unique_category() -> None:
    categories = [rule.category for rule in rules.RULES]

    assert len(categories) == len(set(categories))
    for rule in rules.RULES:
        assert len(rule.patterns) >= 2, rule.category


def test_ingestions_never_resolve_but_states_do() -> None:
    by_category = {rule.category: rule for rule in rules.RULES}

    assert not any(by_category[c].resolvable for c in ("battery", "magnet", "poisoning", "water_beads"))
    assert all(by_category[c].resolvable for c in ("choking", "burn", "head_injury"))
