"""Emergency detection (spec section 4, step 2) and the answer it gives at once.

`detect_emergency` runs before anything else in the pipeline, with no
database, no LLM and no tools, so it must be pure and fast: precompiled
regexes over the folded text (`chat.emergency_rules`).

What counts as an emergency — decisions this module owns:

- Phrases, not words. An event happening to a child ("swallowed a battery",
  "is choking", "se está ahogando") triggers; a topic never does ("battery",
  "the battery cover is loose", "does this toy have small magnets?").
- Questions about warnings and risks are not emergencies. "Is this
  choking-hazard warning real?", "could this cause swollen lips?", "the label
  says swallowing magnets is dangerous" name a hazard word, a modal ("could",
  "might") or a cause/risk word right before the phrase, and are left to the
  normal pipeline. "Might have swallowed" and "not sure if he swallowed" are
  suspected events and do trigger.
- Negation cancels: "he is not choking", "no se está ahogando", "she wasn't
  burned". Only the three words before the phrase, within its clause, count,
  so "I don't know if he swallowed a magnet" still triggers.
- Resolved past events do not trigger: a state dated in the past in the same
  clause ("choked on a grape yesterday") or a message saying the child is
  fine now. Ingestions never resolve this way: a swallowed battery or magnet
  is still inside the child.
- A conditional that describes an event in progress ("what do I do if my
  baby is choking?") does trigger: the emergency answer also answers the
  hypothetical, while missing a real emergency costs far more.

Urgent, not 911 (spec 4b.9): swallowed water beads and a fever of 100.4 °F
(38 °C) or more in a baby under 3 months (`chat.fever`) are `amber`, with
Poison Control and the emergency room, or the pediatrician now.

Levels: `red` is life-threatening now — not breathing, unresponsive, choking,
drowning, ongoing seizure, anaphylaxis, swallowed button battery (it can burn
through the oesophagus within about two hours). `amber` is urgent but not
immediately life-threatening — poisoning or medicine ingestion (Poison
Control first), swallowed magnets, milder allergic reactions, a seizure that
has stopped, head injury after a fall, burns, breathing trouble — with the
signs that make it a 911 call in the call to action.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Final

from babyshield_chat.chat import emergency_rules as rules
from babyshield_chat.chat.emergency_text import (
    call_to_action,
    category_of_reason,
    disclaimer,
    first_aid,
    headline,
    reason,
)
from babyshield_chat.chat.fever import young_infant_fever
from babyshield_chat.chat.locales import Locale, answer_language, parse_locale
from babyshield_chat.chat.model import Answer, Emergency
from babyshield_chat.chat.text import fold
from babyshield_chat.vocabulary import EmergencyLevel

#: The category of a fever in a baby under 3 months (spec 4b.9).
FEVER_CATEGORY = "young_infant_fever"

#: Words before a phrase that may negate it ("he is not choking").
DEFAULT_NEGATION_WINDOW_WORDS = 3
#: Words before a phrase that may make it hypothetical ("could this cause ...").
DEFAULT_HYPOTHETICAL_WINDOW_WORDS = 5


@dataclass(frozen=True)
class EmergencyMatch:
    """Which rule fired, and the answer block it produces."""

    category: str
    emergency: Emergency


# Every rule's phrases as one alternation. A regex alternation matches a text
# exactly when one of its alternatives does, so "no match in any sentence"
# means no rule can fire: about 6x cheaper than trying the 100-odd phrases
# one by one, which only runs when some phrase is present.
def _any_phrase(patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
    flags = {pattern.flags for pattern in patterns}
    if len(flags) != 1:  # an alternation has one set of flags: refuse to change a rule's meaning
        raise ValueError(f"emergency phrases must share their regex flags, got {sorted(flags)}")
    return re.compile("|".join(f"(?:{pattern.pattern})" for pattern in patterns), flags.pop())


_ANY_PHRASE: Final = _any_phrase([pattern for rule in rules.RULES for pattern in rule.patterns])


def _clause_before(sentence: str, start: int) -> str:
    """The part of the sentence's clause that comes before position `start`."""
    before = sentence[:start]
    breaks = list(rules.CLAUSE_BREAK.finditer(before))
    return before[breaks[-1].end() :] if breaks else before


def _clause_around(sentence: str, start: int, end: int) -> str:
    """The whole clause the phrase at `start:end` sits in."""
    after = rules.CLAUSE_BREAK.search(sentence, end)
    return _clause_before(sentence, start) + sentence[start : after.start() if after else len(sentence)]


def _last_words(text: str, count: int) -> str:
    return " ".join(text.split()[-count:])


def _cancelled(rule: rules.Rule, sentence: str, match: re.Match[str], resolved: bool) -> bool:
    clause = _clause_before(sentence, match.start())
    if rules.NEGATION.search(_last_words(clause, DEFAULT_NEGATION_WINDOW_WORDS)):
        return True
    if rules.HYPOTHETICAL.search(_last_words(clause, DEFAULT_HYPOTHETICAL_WINDOW_WORDS)):
        return True
    if not rule.resolvable:
        return False
    # Only a date in the phrase's own clause dates it: "choked yesterday and
    # now he is not breathing" is an emergency now.
    return resolved or bool(rules.PAST.search(_clause_around(sentence, match.start(), match.end())))


def _rule_matches(rule: rules.Rule, sentences: list[str], resolved: bool) -> bool:
    for sentence in sentences:
        for pattern in rule.patterns:
            for match in pattern.finditer(sentence):
                if not _cancelled(rule, sentence, match, resolved):
                    return True
    return False


def _match(category: str, level: EmergencyLevel, loc: Locale) -> EmergencyMatch:
    emergency = Emergency(level=level, reason=reason(category, loc.language),
                          call_to_action=call_to_action(category, level, loc))
    return EmergencyMatch(category=category, emergency=emergency)


def match_emergency(text: str, locale: str | None = None) -> EmergencyMatch | None:
    """The highest-priority emergency the message reports, with its category.

    The 911 cases (`red`) come first; then a fever in a baby under 3 months
    (`chat.fever`, amber, spec 4b.9); then the other urgent cases.
    """
    folded = fold(text)
    if not folded:
        return None
    sentences = [s for s in rules.SENTENCE_BREAK.split(folded) if s.strip()]
    fever = young_infant_fever(folded)
    if not fever and not any(_ANY_PHRASE.search(sentence) for sentence in sentences):
        return None  # the usual case, decided by one scan per sentence
    resolved = bool(rules.RESOLVED.search(folded))
    # The region decides the numbers; the message's own language, the words.
    loc = dataclasses.replace(parse_locale(locale), language=answer_language(locale, text))
    for rule in rules.RULES:
        if rule.level != "red" and fever:
            break
        if _rule_matches(rule, sentences, resolved):
            return _match(rule.category, rule.level, loc)
    return _match(FEVER_CATEGORY, "amber", loc) if fever else None


def detect_emergency(text: str, locale: str | None) -> Emergency | None:
    """The `emergency` block for `text`, or None when it reports no emergency."""
    match = match_emergency(text, locale)
    return match.emergency if match else None


def emergency_answer(emergency: Emergency, locale: str | None, message: str = "") -> Answer:
    """The whole answer for an emergency: what to do now, no checks, no evidence."""
    language = answer_language(locale, message)
    category = category_of_reason(emergency.reason)
    flags = ["emergency", f"emergency:{category}"] if category else ["emergency"]
    return Answer(
        summary=f"{headline(emergency.level, language)} {emergency.call_to_action}",
        reasons=[emergency.reason, *first_aid(category, language)],
        checks=[],
        flags=flags,
        evidence=[],
        suggested_questions=[],
        disclaimer=disclaimer(language),
        emergency=emergency,
    )
