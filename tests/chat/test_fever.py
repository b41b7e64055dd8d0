"""A fever in a baby under 3 months: urgent, not 911 (spec 4b.9)."""

from __future__ import annotations

import pytest

from babyshield_chat.chat.fever import young_infant_fever
from babyshield_chat.chat.text import fold


@pytest.mark.parametrize(
    "message",
    [
        "my 6 week old has a fever of 100.6",
        "2 month old, temp is 38.3 C, is this thermometer right?",
        "my 10 week old feels hot, the thermometer says 101.2F",
        "3 week old newborn, temperature 100.4",
        "my 7 week old has a rectal temp of 38.0",
        "my newborn has a fever",
        "mi bebé de 2 meses tiene 38.5 de fiebre",
        "mi recién nacido tiene fiebre",
    ],
)
def test_a_fever_now_in_a_baby_under_3_months_is_urgent(message) -> None:
    assert young_infant_fever(fold(message))


@pytest.mark.parametrize(
    "message",
    [
        "my 2 month old had a fever last week, is this thermometer accurate?",
        "my 5 month old has a fever of 100.8, can she use this teether?",
        "my 2 month old's temperature is 99.5, is that ok",
        "my 2 month old's temperature is 37.9",
        "what temperature counts as a fever for a newborn?",
        "my 2 year old has a fever of 101, is this medicine ok for her?",
        "baby has a fever of 101",
        "is this thermometer accurate for a 2 month old?",
    ],
)
def test_near_misses_are_not(message) -> None:
    assert not young_infant_fever(fold(message))
