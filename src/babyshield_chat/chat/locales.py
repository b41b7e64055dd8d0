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
from typing import Literal

Language = Literal["en", "es"]

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
