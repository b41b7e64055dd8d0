"""How serious a recall is, read from its published text: deaths, injuries, incidents, units.

Ranking puts the recall that matters first (spec 4b.2): among equally
relevant records, the one with deaths comes before the one with injuries,
then reported incidents, then units sold, then a re-announcement. The sources
have no such fields (the SaferProducts API has free-text `Injuries` and
`NumberOfUnits`; the other shapes have only a title, a hazard text and a page
slug), so they are read from that text at import and stored as columns.

What counts is what happened, never a risk: CPSC titles say "Due to Risk of
Serious Injury or Death" for almost every recall, and hazards say "can be
fatal" or "posing a deadly choking hazard". Those are not deaths. Only
sentences that report events count: "At Least Eight Deaths Occurred",
"After Four Infant Deaths", "Infant fatalities have occurred", "Reports of
Deaths", "Death of a Child Prompts ...", "three reported incidents".
Fatalities reported "with other manufacturers' products" are not this
product's. A death mentioned without a number counts as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "additional": 1, "another": 1,
}
_NUMBER = r"(?P<n>\d[\d,]*|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_WHO = r"(?:(?:infant|child|children'?s?|toddler|baby|babies|reported|additional|more|other|total)\s+){0,2}"

# "eight deaths", "Four Infant Deaths", "One Child Death", "3 fatalities", "second infant death".
_COUNTED_DEATHS = re.compile(rf"\b{_NUMBER}\s+{_WHO}(?:deaths?|fatalit(?:y|ies))\b", re.IGNORECASE)
# "two children died", "three infants have died".
_COUNTED_DIED = re.compile(
    rf"\b{_NUMBER}\s+{_WHO}(?:infants?|children|child|toddlers?|babies|baby|deaths?)\s+(?:have\s+|had\s+)?died\b",
    re.IGNORECASE,
)
# Deaths reported without a number.
_UNCOUNTED_DEATHS = re.compile(
    r"\b(?:deaths?|fatalit(?:y|ies))\s+(?:have\s+|has\s+|had\s+)?(?:been\s+)?(?:occurred|reported)"
    r"|\breports?\s+of\s+(?:\w+\s+)?(?:deaths?|fatalit(?:y|ies))"
    r"|\b(?:deaths?|fatalit(?:y|ies))\s+(?:prompts?|reported|occurred|after)\b"
    r"|\bdeath\s+of\s+(?:a|an|one|two|three|\d+)\s+(?:infant|child|toddler|baby)"
    r"|\b(?:child|infant|toddler|baby)'?s\s+death"
    r"|\b(?:have|has|had)\s+died\b|\bwere\s+killed\b|\bwas\s+killed\b",
    re.IGNORECASE,
)
# "... with other manufacturers' products", "... occurred in inclined sleepers":
# deaths in a kind of product, not in this one.
_OTHER_PRODUCTS = re.compile(
    r"\b(?:with|while\s+using|using|in)\s+(?:other|similar|such|inclined|these\s+types?)\b", re.IGNORECASE
)

_COUNTED_INJURIES = (
    # "three injuries", "reports of 12 serious injuries", "12 reports of injuries".
    re.compile(
        rf"\b(?:reports?\s+of\s+)?{_NUMBER}\s+(?:reported\s+|serious\s+|additional\s+)*(?:injuries|injury\s+reports)\b",
        re.IGNORECASE,
    ),
    re.compile(rf"\b{_NUMBER}\s+(?:reports?|incidents?)\s+of\s+(?:\w+\s+)?injur", re.IGNORECASE),
)
_SERIOUS_INJURY = re.compile(
    r"\b(?:fractur\w*|amputat\w*|concussions?|skull|hospitali[sz]\w*|medical\s+attention|emergency\s+room|"
    r"second[- ]degree|third[- ]degree|lacerations?\s+requiring|stitches|surgery|brain\s+injur\w*)",
    re.IGNORECASE,
)
_NO_INJURIES = re.compile(r"\bno\s+(?:injuries|incidents)\b", re.IGNORECASE)
_COUNTED_INCIDENTS = re.compile(
    rf"\b{_NUMBER}\s+(?:reported\s+|additional\s+)*(?:incidents?|reports?|complaints?)\b", re.IGNORECASE
)
_ABOUT_UNITS = re.compile(r"^\s*(?:about|approximately|more\s+than|over|nearly)?\s*(?P<n>\d[\d,.]*)\s*(?P<scale>million|thousand)?",
                          re.IGNORECASE)
_SLUG_MILLIONS = re.compile(r"\b(?P<n>\d+(?:\s\d)?)\s+million\b", re.IGNORECASE)
_SLUG_THOUSANDS = re.compile(r"\b(?P<n>\d{1,3}\s\d{3})\b")
_REANNOUNCED = re.compile(
    r"\bre-?\s?announce\w*|\breannounce\w*|\bexpands?\s+(?:\w+\s+)?recall|\brecall\s+(?:is\s+)?expanded|"
    r"\bsecond\s+recall|\brecall\s+expansion",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Severity:
    """What a recall's text reports; zero where it reports nothing."""

    deaths: int = 0
    serious_injuries: int = 0
    incidents: int = 0
    units: int = 0
    reannounced: bool = False

    def merge(self, other: Severity) -> Severity:
        """The worst of two reports of the same recall."""
        return Severity(
            deaths=max(self.deaths, other.deaths),
            serious_injuries=max(self.serious_injuries, other.serious_injuries),
            incidents=max(self.incidents, other.incidents),
            units=max(self.units, other.units),
            reannounced=self.reannounced or other.reannounced,
        )


def _value(word: str) -> int:
    word = word.lower().replace(",", "")
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word, 0)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;!?])\s+|\s+\|\s+", text) if s.strip()]


def deaths_in(text: str) -> int:
    """Deaths the text reports as having happened (0 for "risk of death")."""
    count = 0
    for sentence in _sentences(text):
        if _OTHER_PRODUCTS.search(sentence):
            continue
        numbers = [_value(m.group("n")) for m in _COUNTED_DEATHS.finditer(sentence)]
        numbers += [_value(m.group("n")) for m in _COUNTED_DIED.finditer(sentence)]
        if numbers:
            count = max(count, *numbers)
        elif _UNCOUNTED_DEATHS.search(sentence):
            count = max(count, 1)
    return count


def injuries_in(text: str) -> int:
    """Serious injuries the text reports (a counted number, or 1 for a described serious injury)."""
    count = 0
    for sentence in _sentences(text):
        numbers = [_value(m.group("n")) for pattern in _COUNTED_INJURIES for m in pattern.finditer(sentence)]
        if _NO_INJURIES.search(sentence) and not numbers:
            continue
        if numbers and _SERIOUS_INJURY.search(sentence):
            count = max(count, *numbers)
        elif _SERIOUS_INJURY.search(sentence) and not re.search(r"\b(?:risk|can|could|may|posing)\b", sentence, re.I):
            count = max(count, 1)
    return count


def incidents_in(text: str) -> int:
    """Incidents or reports the text counts ("three reported incidents")."""
    return max((_value(m.group("n")) for m in _COUNTED_INCIDENTS.finditer(text)), default=0)


def _scaled(number: str, scale: str | None) -> int:
    cleaned = number.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        return 0
    factor = {"million": 1_000_000, "thousand": 1_000}.get((scale or "").lower(), 1)
    return int(value * factor)


def units_in(number_of_units: str | None, slug_words: str = "") -> int:
    """Units recalled: the API's `NumberOfUnits` ("About 2,200"), else a slug's "4-7-Million"."""
    if number_of_units:
        match = _ABOUT_UNITS.match(number_of_units)
        if match:
            return _scaled(match.group("n"), match.group("scale"))
    # Slugs lose decimal points and thousands separators to hyphens:
    # "Recall-of-4-7-Million-Rock-n-Play" is 4.7 million, "694-000" is 694,000.
    if match := _SLUG_MILLIONS.search(slug_words):
        return _scaled(match.group("n").replace(" ", "."), "million")
    if match := _SLUG_THOUSANDS.search(slug_words):
        return _scaled(match.group("n").replace(" ", ""), None)
    return 0


def assess(texts: list[str], *, number_of_units: str | None = None, slug_words: str = "") -> Severity:
    """The severity reported by a record's texts (title, names, hazard, injuries, slug words)."""
    joined = " | ".join(t for t in (*texts, slug_words) if t)
    return Severity(
        deaths=deaths_in(joined),
        serious_injuries=injuries_in(joined),
        incidents=incidents_in(joined),
        units=units_in(number_of_units, slug_words),
        reannounced=bool(_REANNOUNCED.search(joined)),
    )
