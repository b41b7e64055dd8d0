"""Facts a parent states in the message: the child's age, the pregnancy, allergies (spec 4b.6).

"Can my 3 month old use this?", "I'm 30 weeks pregnant, is this ok?", "she's
allergic to dairy": the message says what the profile may not, or says it
differently (a newborn sibling, a profile never filled in). `read_message`
returns these facts as `Stated`; the pipeline uses them for that answer only,
never stores them, and lets them win over the profile. Every answer that
uses one says it came from the message ("you said your baby is 3 months old").

What is read, on folded text (lower case, no accents), English and Spanish:

- the child's age: "my 5 week old", "5-week-old", "6 wk old", "my 3 mo",
  "18 months old", "my daughter is 4 months", "18 months - can he ...",
  "2 year old", "2 yo", "my newborn", "mi bebé de 3 meses", "tiene 2 años",
  "recién nacido". Weeks and months of a pregnancy ("30 weeks pregnant",
  "20 semanas de embarazo") and times ago ("3 months ago") are not ages.
- the pregnancy: weeks ("30 weeks pregnant", "embarazada de 20 semanas";
  the trimester follows: weeks 1-13, 14-27, 28 on), a trimester ("third
  trimester", "tercer trimestre"), or only that the parent is pregnant.
- allergies the child has ("allergic to milk", "a peanut allergy",
  "soy-allergic", "alérgica a la leche", "he can't have eggs", "lactose
  intolerant", "no puede tomar leche"), and allergens the question only
  asks about ("does it have soy?", "¿tiene leche?").

Only phrases about a child or a pregnancy count: a bare number ("6 months and
up", "a 2 year warranty") is never an age.
"""

from __future__ import annotations

import re

from babyshield_chat.chat.model import ChildAge, Pregnancy, Stated
from babyshield_chat.chat.text import fold
from babyshield_chat.chat.tools.allergens import normalise_allergy

#: Days in an average month, to turn weeks into whole months.
DAYS_PER_MONTH = 30.44
#: The first week of the second and of the third trimester.
SECOND_TRIMESTER_WEEK = 14
THIRD_TRIMESTER_WEEK = 28

_NUMBER_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "eighteen": 18, "twenty": 20, "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4,
    "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "dieciocho": 18,
}
_NUMBER = r"(?P<n>\d{1,2}(?:\.5)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
# Units as typed, typos included ("mnth", "monts").
_UNIT_EN = (
    r"(?P<unit>weeks?|wee?ks?|wks?|w|months?|mon?ths?|mnths?|monts?|mos?|mths?|m|years?|yrs?|yo|y/o|y\.o\.?)"
)
_UNIT_ES = r"(?P<unit>semanas?|mes(?:es)?|anos?)"
# What must not follow a number of weeks or months for it to be the child's age.
_NOT_AGE = r"(?!\s*(?:pregnant|along|ago|de\s+embarazo|de\s+gestacion|supply|warranty|subscription|and\s+up|\+|plus))"
_KID = (
    r"(?:he|she|they|baby|babe|son|daughter|child|kid|toddler|twins?|boy|girl|little\s+one|lo|dd|ds|grandson|"
    r"granddaughter|nephew|niece)"
)
_KID_ES = r"(?:bebe|hij[oa]|nin[oa]|nene|nena|pequen[oa]|peque|nieto|nieta|sobrin[oa])"

_AGE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        # "5 week old", "5-week-old", "18 months old", "2 year old", "6 wk old".
        rf"\b{_NUMBER}[\s-]*{_UNIT_EN}[\s-]+olds?\b",
        # "2 yo", "2yo", "2 y/o".
        rf"\b{_NUMBER}\s*(?P<unit>yo|y/o|y\.o\.?)(?![a-z])",
        # "my 3 mo", "our 10 month", "my 2 year", "a 6 week".
        rf"\b(?:my|our|his|her|their|a|an)\s+{_NUMBER}[\s-]*{_UNIT_EN}\b{_NOT_AGE}",
        # "my daughter is 4 months", "she's almost 2 years", "he just turned 1".
        rf"\b{_KID}(?:'s|\s+is|\s+just\s+turned|\s+turned|\s+turns|\s+will\s+be|\s+is\s+turning)\s+"
        rf"(?:almost\s+|nearly\s+|about\s+|only\s+|just\s+|barely\s+|over\s+)?{_NUMBER}\s*{_UNIT_EN}\b{_NOT_AGE}",
        # "18 months - can he ride this?", "2 month old, temp ...": an age opening the message.
        rf"^{_NUMBER}\s*{_UNIT_EN}\s*(?:[-:,;.]|$){_NOT_AGE}",
        # "mi bebé de 3 meses", "mi hija de 2 años", "bebé con 5 semanas".
        rf"\b{_KID_ES}\s+(?:de|con|tiene)\s+{_NUMBER}\s+{_UNIT_ES}\b{_NOT_AGE}",
        # "tiene 3 meses", "cumplió 2 años".
        rf"\b(?:tiene|cumplio|cumple|va\s+a\s+cumplir)\s+{_NUMBER}\s+{_UNIT_ES}\b{_NOT_AGE}",
    )
)
_NEWBORN = re.compile(
    r"\b(?:my|our|a|the|his|her|their|for)\s+(?:\w+\s+)?newborns?\b"
    r"(?!\s+(?:model|version|insert|size|setting|mode|position|lounger|sleeper|seat|kit|stage|nipples?))"
    r"|\brecien\s+nacid[oa]s?\b"
)

_PREGNANCY_WEEKS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"\b(?P<w>\d{1,2})\s*(?:weeks?|wks?|w)\s+(?:pregnant|along)\b",
        r"\bpregnant\s*(?:,|-|at|with\s+\w+\s+at)?\s*(?P<w>\d{1,2})\s*(?:weeks?|wks?)\b",
        r"\bembarazada\s+de\s+(?P<w>\d{1,2})\s+semanas\b",
        r"\b(?P<w>\d{1,2})\s+semanas\s+de\s+(?:embarazo|gestacion)\b",
    )
)
_TRIMESTER = re.compile(
    r"\b(?P<t>first|second|third|1st|2nd|3rd|primer|segundo|tercer)\s+(?:trimester|trimestre)\b"
)
_TRIMESTER_NUMBER = {"first": 1, "1st": 1, "primer": 1, "second": 2, "2nd": 2, "segundo": 2,
                     "third": 3, "3rd": 3, "tercer": 3}
_PREGNANT = re.compile(
    r"(?<!not )(?<!get )(?<!getting )(?<!become )(?<!no estoy )\bpregnan(?:t|cy)\b|\bexpecting\s+a\s+baby\b"
    r"|(?<!no estoy )\bembarazada\b|\bembarazo\b"
)

# Breastfeeding, which is not a pregnancy: "while breastfeeding", "I'm nursing", "durante la lactancia",
# "amamantando"; not a "nursing pillow" or a "cojín de lactancia", which are products.
_BREASTFEEDING = re.compile(
    r"\bbreast\s*-?\s*feed\w*|\bchest\s*-?\s*feeding\b|\blactating\b|\blactation\b(?!\s+(?:pillows?|cookies?))"
    r"|\bnursing\b(?!\s+(?:pillows?|covers?|bras?|pads?|cushions?|chairs?|tops?|stools?|bottles?|home))"
    r"|(?<!cojin de )(?<!almohada de )(?<!cojines de )\blactancia\b|\bamamant\w*|\bdando\s+(?:el\s+)?pecho\b"
    r"|\bdar\s+(?:el\s+)?pecho\b"
)

# Allergies the message states ("my son is allergic to milk").
_STATED_ALLERGIES = tuple(
    re.compile(pattern)
    for pattern in (
        # "allergic", and as typed: "alergic", "allergic", "alergy".
        r"(?<!not )(?<!n't )\bal+er+gic\s+to\s+([^,.;:?!]+)",
        r"\b((?:[\w'-]+\s+){0,3}?[\w'-]+)\s+al+er+g(?:y|ies)\b",
        r"\b([\w']+)[\s-]al+er+gic\b",
        # Celiac disease names wheat: "he is celiac", "es celíaco", "has coeliac disease".
        r"\b(?:is|es|esta|has|have|tiene|with|con)\s+(?:a\s+)?(celiac|coeliac|celiac[oa]|celiaquia)\b",
        # Said without the word: "he can't have eggs", "she cannot eat dairy", "lactose intolerant",
        # "no puede tomar leche". Only a major allergen in the phrase counts ("can't have sugar" is none).
        r"\b(?:can'?t|cannot|can\s+not|shouldn't|must\s+not|mustn't|not\s+allowed\s+to|never)\s+"
        r"(?:have|eat|drink|tolerate|touch)\s+([^,.;:?!]+)",
        r"\bintoleran(?:t|ce)\s+to\s+([^,.;:?!]+)",
        r"\b([\w']+)[\s-]intoleran(?:t|ce)\b",
        r"\bno\s+(?:puede|pueden|debe)\s+(?:comer|tomar|beber)\s+([^,.;:?!]+)",
        r"\bintoleran(?:te|cia)\s+(?:a|al)\s+([^,.;:?!]+)",
        r"(?<!no es )(?<!no son )\balergic[oa]s?\s+(?:a|al)\s+([^,.;:?!]+)",
        r"\balergias?\s+(?:a|al)\s+([^,.;:?!]+)",
    )
)
_STATED_MAX_WORDS = 4
# Allergens the question asks about ("does it have soy?", "is there milk in it?", "¿tiene leche?").
_ASKED_ALLERGENS = re.compile(
    r"\b(?:contain|contains|have|has|any|there|tiene|contiene|lleva|hay)\s+(?:any\s+|some\s+|algo\s+de\s+)?"
    r"(?:traces?\s+of\s+|trazas\s+de\s+)?([a-z'-]+(?:\s+nuts?)?)"
)


def read_message(message: str) -> Stated:
    """The facts `message` states about the child, the pregnancy and allergies."""
    folded = fold(message)
    allergies = allergies_stated(folded)
    asked = [a for a in allergens_asked(folded) if not _same_allergen(a, allergies)]
    return Stated(child_age=child_age_stated(folded), pregnancy=pregnancy_stated(folded), allergies=allergies,
                  asked_allergens=asked, breastfeeding=breastfeeding_stated(folded))


def _number(text: str) -> float | None:
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text])
    try:
        return float(text)
    except ValueError:
        return None


def _age_from(count: float, unit: str) -> ChildAge | None:
    if unit.startswith(("w", "sem")):
        return ChildAge(months=int(count * 7 / DAYS_PER_MONTH), weeks=int(count), source="message")
    if unit.startswith(("y", "an")):
        months = int(count * 12)
    else:
        months = int(count)
    return ChildAge(months=months, source="message") if months <= 240 else None


def child_age_stated(message: str) -> ChildAge | None:
    """The child's age the message states, or None. `message` may be raw or folded."""
    folded = fold(message)
    found: tuple[int, ChildAge] | None = None
    for pattern in _AGE_PATTERNS:
        for match in pattern.finditer(folded):
            count = _number(match.group("n"))
            if count is None:
                continue
            age = _age_from(count, match.group("unit"))
            if age is not None and (found is None or match.start() < found[0]):
                found = (match.start(), age)
            break
    if found is not None:
        return found[1]
    if _NEWBORN.search(folded):
        return ChildAge(months=0, newborn=True, source="message")
    return None


def trimester_of(weeks: int) -> int:
    if weeks >= THIRD_TRIMESTER_WEEK:
        return 3
    return 2 if weeks >= SECOND_TRIMESTER_WEEK else 1


def breastfeeding_stated(message: str) -> bool:
    """Whether the message asks as a breastfeeding parent ("can I take this while nursing?")."""
    return bool(_BREASTFEEDING.search(fold(message)))


def pregnancy_stated(message: str) -> Pregnancy | None:
    """The pregnancy the message states (weeks, trimester, or only "pregnant"), or None."""
    folded = fold(message)
    for pattern in _PREGNANCY_WEEKS:
        match = pattern.search(folded)
        if match and 1 <= int(match.group("w")) <= 45:
            weeks = int(match.group("w"))
            return Pregnancy(trimester=trimester_of(weeks), weeks=weeks, source="message")
    match = _TRIMESTER.search(folded)
    if match:
        return Pregnancy(trimester=_TRIMESTER_NUMBER[match.group("t")], source="message")
    if _PREGNANT.search(folded):
        return Pregnancy(source="message")
    return None


def allergies_stated(message: str) -> list[str]:
    """The allergies a message states, as the parent wrote them (each names a major allergen)."""
    folded = fold(message)
    stated: list[str] = []
    for pattern in _STATED_ALLERGIES:
        for match in pattern.finditer(folded):
            phrase = _shortest_naming(match.group(1).split()[:_STATED_MAX_WORDS])
            if phrase and phrase not in stated:
                stated.append(phrase)
    return stated


def _shortest_naming(words: list[str]) -> str | None:
    """The shortest run of `words` naming the same allergens as all of them ("son has a milk" -> "milk")."""
    keys = normalise_allergy(" ".join(words))
    if not keys:
        return None
    for size in range(1, len(words) + 1):
        for start in range(len(words) - size + 1):
            run = " ".join(words[start: start + size])
            if normalise_allergy(run) == keys:
                return run
    return " ".join(words)


def allergens_asked(message: str) -> list[str]:
    """Major allergens a question asks about ("does it have soy?"), as written."""
    asked: list[str] = []
    for match in _ASKED_ALLERGENS.finditer(fold(message)):
        word = match.group(1)
        if normalise_allergy(word) and word not in asked:
            asked.append(word)
    return asked


def _same_allergen(word: str, allergies: list[str]) -> bool:
    keys = set(normalise_allergy(word))
    return any(keys & set(normalise_allergy(a)) for a in allergies)
