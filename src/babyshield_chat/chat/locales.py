"""Which language to answer in and which numbers to tell a parent to call.

The request's `locale` ("en-US", "es-MX", "de-DE", or null) decides two
things: the answer language (Spanish for every `es-*`, English otherwise) and
the emergency numbers of spec step 2 (US 911 and Poison Control; UK 999; EU
112). A locale without a region falls back to the US, the app's home market.
A region the table does not know gets "your local emergency number": telling
a parent abroad to dial a number that does not work there would be worse than
no number at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babyshield_chat.chat.text import fold
from babyshield_chat.vocabulary import Language

#: Region assumed when the locale names none (spec: US is the default).
DEFAULT_REGION = "US"

#: The US Poison Help line, free and open 24/7.
US_POISON_CONTROL = "1-800-222-1222"

#: Member states of the European Union, where 112 reaches every service.
EU_COUNTRIES: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)

# Only numbers we are sure of. EEA members and Switzerland also answer 112.
_EMERGENCY_NUMBERS: dict[str, str] = {
    "US": "911",
    "PR": "911",
    "CA": "911",
    "MX": "911",
    "GB": "999",
    "AU": "000",
    "NZ": "111",
    "IN": "112",
    **{country: "112" for country in EU_COUNTRIES | {"IS", "NO", "LI", "CH"}},
}

_LOCALE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}))?(?:[-_]([A-Za-z]{2}|\d{3}))?(?:[-_].*)?$")


@dataclass(frozen=True)
class Locale:
    """A parsed locale: answer language and region (ISO 3166 alpha-2 or None)."""

    language: Language
    region: str | None

    @property
    def emergency_number(self) -> str | None:
        """The number to dial, or None when the region's number is not known."""
        return _EMERGENCY_NUMBERS.get(self.region or DEFAULT_REGION)

    @property
    def poison_control(self) -> str | None:
        """The US Poison Control number where it applies."""
        return US_POISON_CONTROL if (self.region or DEFAULT_REGION) in {"US", "PR"} else None

    @property
    def is_uk(self) -> bool:
        return self.region == "GB"


def parse_locale(value: str | None) -> Locale:
    """Parse a BCP 47-ish tag ("es-US", "en_GB", "fr-FR", "es-419", "es").

    Never raises: anything unreadable is English with the default region, the
    safest reading for a safety answer.
    """
    match = _LOCALE.match((value or "").strip())
    if not match:
        return Locale(language="en", region=None)
    language: Language = "es" if match.group(1).lower() == "es" else "en"
    region = match.group(3)
    return Locale(language=language, region=region.upper() if region else None)


# Words that mark a message as Spanish or English (folded: no accents). Each
# list holds short function words a question in that language can hardly avoid
# and the other language does not use ("no", "a" and "me" are in both).
_SPANISH_WORDS = frozenset(
    "el la los las lo le les es esta este esto estos estas puede puedo pueden mi mis su sus de del que para por "
    "con una unos unas tiene tengo hijo hija bebe nino nina hay usar dar tomar comer dormir embarazada meses anos "
    "semanas retirado retirada retirados seguro segura alergico alergica gracias hola cual cuando donde como "
    "porque pero tambien muy".split()
)
_ENGLISH_WORDS = frozenset(
    "the is it its this that these my our can could should would for with and of to be been was were are does "
    "do has have my baby son daughter child kid old months weeks years recalled recall safe okay ok thanks "
    "thank hello hi what which when how why use".split()
)
_WORD = re.compile(r"[a-z]+")
#: How many more marker words one language needs before the message's language overrides the locale.
LANGUAGE_MARGIN = 2


def message_language(message: str) -> Language | None:
    """The language a message is clearly written in, or None when it is too short or mixed to tell."""
    folded = fold(message)
    words = _WORD.findall(folded)
    spanish = sum(w in _SPANISH_WORDS for w in words) + (2 if re.search(r"[\u00bf\u00a1]", message) else 0)
    english = sum(w in _ENGLISH_WORDS for w in words)
    if spanish >= english + LANGUAGE_MARGIN:
        return "es"
    if english >= spanish + LANGUAGE_MARGIN:
        return "en"
    return None


def answer_language(locale: str | None, message: str = "") -> Language:
    """The answer's language: the message's when it is clearly English or Spanish, else the locale's.

    A parent whose phone is set to English may still ask in Spanish (and the
    other way round); the answer follows the words they typed. A short or
    mixed message ("ok?", "Graco 4Ever") says nothing, so the locale decides.
    """
    return message_language(message) or parse_locale(locale).language
