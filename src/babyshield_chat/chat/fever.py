"""A fever in a baby under 3 months: urgent, not 911 (spec 4b.9).

A temperature of 100.4 °F (38 °C) or more in a baby younger than 3 months
needs a doctor now (AAP): "call your pediatrician now or go to the emergency
room". `young_infant_fever(folded)` says whether a message reports one:

- the baby's age comes from the message (`message_facts.child_age_stated`:
  "my 6 week old", "2 month old", "3 week old newborn", "mi bebé de 2
  meses"), and must be under 3 months;
- the fever is a temperature read now ("has a fever of 100.6", "temp is
  38.3 C", "the thermometer says 101.2F", "tiene 38.5 de fiebre") at or over
  the threshold, or a fever the baby has now without a number ("has a
  fever", "tiene fiebre");
- a number's unit is the one written (°F, °C, F, C), else read from its size
  (35-43 is Celsius, 95-110 Fahrenheit).

Near misses stay out: a fever last week ("had a fever last week"), a
temperature under the threshold (99.5), a question about what counts as a
fever, a baby of 3 months or more. Pure and fast: the emergency step runs it
before anything else.
"""

from __future__ import annotations

import re

from babyshield_chat.chat.message_facts import child_age_stated

#: The fever threshold for babies under 3 months (AAP): 100.4 °F, 38 °C.
FEVER_F = 100.4
FEVER_C = 38.0
#: Under this age (months) any such fever is urgent.
YOUNG_INFANT_MONTHS = 3

_TEMPERATURE_WORDS = re.compile(
    r"\b(?:fever|febrile|temp|temps|temperature|thermometer|reading|degrees|fiebre|temperatura|termometro|grados)\b"
)
# A temperature: 38, 38.3, 100.4, 101.2F, 38,5 °C.
_READING = re.compile(r"(?<![\d.])(?P<v>\d{2,3}(?:[.,]\d{1,2})?)\s*(?:°|º|degrees?|deg|grados)?\s*(?P<u>[fc]\b|fahrenheit|celsius|centigrad\w*)?")
# A fever the baby has now, without a number.
_HAS_FEVER = re.compile(
    r"\b(?:has|have|got|running|is\s+running|with|spiking|developed)\s+(?:a\s+)?(?:high\s+|bad\s+|slight\s+|low[\s-]grade\s+)?"
    r"(?:fever|temperature|temp)\b|\bis\s+(?:feverish|burning\s+up)\b|\btiene\s+(?:mucha\s+|algo\s+de\s+)?fiebre\b"
    r"|\bcon\s+fiebre\b"
)
# The fever is over, or is only asked about.
_PAST = re.compile(
    r"\b(?:had|was)\s+(?:a\s+)?(?:fever|temperature|temp)\b|\b(?:yesterday|last\s+(?:night|week|month)|ago|"
    r"tuvo\s+fiebre|ayer|la\s+semana\s+pasada|hace\s+\w+\s+(?:dias|semanas))\b"
)
_ASKS_WHAT = re.compile(r"\bwhat\s+(?:temperature|temp|number)\b|\bwhat\s+counts\b|\bque\s+temperatura\b")


def _fever_reading(folded: str) -> bool:
    for match in _READING.finditer(folded):
        value = float(match.group("v").replace(",", "."))
        unit = (match.group("u") or "")[:1]
        if not unit:
            unit = "c" if 35 <= value <= 43 else "f" if 95 <= value <= 110 else ""
        if (unit == "c" and value >= FEVER_C and value <= 43) or (unit == "f" and value >= FEVER_F and value <= 110):
            return True
    return False


def young_infant_fever(folded: str) -> bool:
    """Whether a folded message reports a fever now in a baby under 3 months (see the module docstring)."""
    if not _TEMPERATURE_WORDS.search(folded) or _PAST.search(folded) or _ASKS_WHAT.search(folded):
        return False
    age = child_age_stated(folded)
    if age is None or age.months >= YOUNG_INFANT_MONTHS:
        return False
    return _fever_reading(folded) or bool(_HAS_FEVER.search(folded))
