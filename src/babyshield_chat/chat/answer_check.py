"""Whether an LLM's answer contradicts the top finding (spec 4b.7), so the fallback writer answers instead.

The LLM gets the ranked findings in its prompt; this is the check that it
used them. `contradiction(answer, findings)` names the first contradiction
of the summary, or returns None:

- it calls the product safe (any finding; a negated "not safe" is fine), or
  says "no problems found" while a finding is not a pass;
- it says "It can be used" ("Se puede usar") while a check failed or a
  warning leads;
- the top finding answers "no" (not suitable, allergen, avoid in pregnancy,
  stop using a recalled product) and the first sentence does not say so
  (no "No", "not", "stop", "avoid", "don't" ...), or opens with "yes" to a
  use question;
- the top finding is a recall and the summary omits it, or says the product
  is not recalled.

It reads words, not meaning: it is the guard rail that keeps a confidently
wrong first sentence from reaching a parent, not a judge of style.
"""

from __future__ import annotations

import re

from babyshield_chat.chat.findings import first_sentence_of
from babyshield_chat.chat.model import Answer, Finding
from babyshield_chat.chat.text import fold

_RECALL_KINDS = frozenset({"serious_recall", "recall", "possible_recall"})
_NEGATION = re.compile(
    r"\b(?:not|never|no|nothing|cannot|can't|isn't|aren't|wasn't|won't|don't|doesn't|shouldn't|nunca|ni|sin|nada|"
    r"tampoco)\b"
)
# "safer" compares; "Safe Sleep for Babies Act" and "safe sleep" name a practice.
# "B-Safe 35" (a Britax car seat) names a product: "safe" joined to a word by a hyphen is a name.
_SAFE = re.compile(r"(?<!\w-)\bsafe(?:ly)?\b(?![\s-]+sleep)|(?<!mas )\bsegur[oa]s?\b")
_NO_PROBLEMS = re.compile(r"\bno (?:problems?|issues?|concerns?) (?:were )?found\b|\bno se encontraron problemas\b"
                          r"|\bsin problemas\b|\bnothing to worry\b")
_CAN_BE_USED = re.compile(r"\b(?:it|this) can (?:safely )?be used\b|\bse puede usar\b|\bpuede usarse\b")
_SAYS_NO = re.compile(
    r"\b(?:no|not|never|don't|do not|stop|avoid|shouldn't|should not|cannot|can't|isn't|aren't|unsuitable|"
    r"banned|recalled|deje|evite|evitar|nunca)\b|\bretir(?:ad|ar|o\b)|\bno\b"
)
_OPENS_YES = re.compile(r"^\W*(?:yes|yeah|sure|si|claro|of course|absolutely)\b")
# Spanish says a recall with "retirada", "lo retiraron", "retiró" (folded: "retiro"), "retirado".
_MENTIONS_RECALL = re.compile(r"\brecall|\bretir(?:ad|ar|o\b)")
_NOT_RECALLED = re.compile(
    r"\bnot (?:been )?recalled\b|\bhasn't been recalled\b|\bisn't recalled\b|\bno recalls? (?:was |were )?found\b"
    r"|\bno (?:ha sido|fue|esta) retirad|\bno (?:lo |la |los |las )?(?:han )?retir"
)


def calls_safe(text: str) -> bool:
    """Whether `text` calls something safe with no negation earlier in the same clause."""
    folded = fold(text)
    for match in _SAFE.finditer(folded):
        clause_start = max(folded.rfind(mark, 0, match.start()) for mark in (".", ";", ":", ",", "!", "?"))
        if not _NEGATION.search(folded[clause_start + 1: match.start()]):
            return True
    return False


def contradiction(answer: Answer, findings: list[Finding]) -> str | None:
    """What in `answer`'s summary contradicts the ranked `findings`, or None when nothing does."""
    summary = fold(answer.summary)
    first = fold(first_sentence_of(answer.summary))
    if calls_safe(answer.summary):
        return "the summary calls the product safe"
    if not findings:
        return None
    top = findings[0]
    if any(f.kind != "pass" for f in findings) and _NO_PROBLEMS.search(summary):
        return "the summary says no problems were found while a check is open"
    if (any(f.status == "fail" for f in findings) or top.answer in ("no", "caution")) and _CAN_BE_USED.search(summary):
        return "the summary says it can be used while a check fails"
    if top.answer == "no" and (not _SAYS_NO.search(first) or (top.kind not in _RECALL_KINDS and _OPENS_YES.match(first))):
        return f"the first sentence does not say no to the top finding ({top.kind})"
    if top.kind in _RECALL_KINDS:
        if not _MENTIONS_RECALL.search(summary):
            return "the summary omits the recall"
        if _NOT_RECALLED.search(summary):
            return "the summary says it is not recalled"
    return None
