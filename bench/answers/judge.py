"""Judging one answer against its case: pure functions, no I/O.

`judge(case, reply, facts)` returns the case's failures, each with the kind
of expectation that failed (for the tally) and a message a reader can act on.
An empty list is a pass. Two sets of rules apply:

- the case's own `Expect` (see `cases.Expect`);
- `INVARIANTS`, which hold for every answer whatever the case: a 200 with an
  answer, no "..", never calling a product safe, never "It can be used"
  while a check fails, no "no problems found" while a check is open, no
  empty "Remedy: not given." lines (spec 4b.7, 4b.8, 4b.10).

Patterns are searched in folded text (`babyshield_chat.chat.text.fold`). A
parent reads the summary's first sentence first, so most expectations are
about it; `first_sentence` finds it without being fooled by abbreviations
("Dr.", "Inc."), decimals ("12.4oz.") or parentheses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from babyshield_chat.chat.text import fold

from bench.answers.cases import Case, Expect

#: Rules every answer must keep, by name (the report's tally uses these names).
INVARIANTS: dict[str, str] = {
    "http_ok": "the API answers 200 with an answer",
    "double_period": "no '..' anywhere in the text (4b.10)",
    "calls_safe": "the summary never calls the product safe (4b.7, 4b.8)",
    "no_problems_while_open": "no 'no problems found' while any check is not pass (4b.7)",
    "can_be_used_while_fail": "no 'It can be used' / 'Se puede usar' while any check fails (4b.7)",
    "empty_field": "no 'Hazard/Remedy: not given' lines (4b.10)",
}


@dataclasses.dataclass(frozen=True)
class Reply:
    """What the API returned for one case."""

    status: int
    body: Mapping[str, Any]
    latency_ms: int = 0


@dataclasses.dataclass(frozen=True)
class RunFacts:
    """Facts of this run that some expectations need."""

    checked_on: dt.date  # the day the data was imported
    newest_recall: dt.date  # the newest recall date in the data


@dataclasses.dataclass(frozen=True)
class Failure:
    kind: str  # the expectation or invariant that failed
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


# --- the first sentence ---

_ABBREVIATIONS = frozenset(
    "dr mr mrs ms st inc ltd co corp no nos vs etc oz fl lb lbs approx jr sr dept mfg u.s e.g i.e".split()
)
# A sentence ends at . ! ? followed by a space and a capital (or ¿ ¡), or at the end.
_SENTENCE_START = re.compile(r"\s+[¿¡A-ZÁÉÍÓÚÑÜ]")


def first_sentence(summary: str) -> str:
    """The summary up to the end of its first sentence."""
    depth = 0
    for index, char in enumerate(summary):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char in ".!?" and depth == 0:
            rest = summary[index + 1:]
            if rest and not _SENTENCE_START.match(rest):
                continue
            word = re.search(r"([\w.]+)$", summary[:index])
            if char == "." and word and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
                continue
            return summary[: index + 1].strip()
    return summary.strip()


# --- reading a reply ---


class _Answer:
    """The parts of a reply the rules look at, folded once."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        answer = body.get("answer") or {}
        self.intent = body.get("intent")
        self.summary = str(answer.get("summary") or "")
        self.first = first_sentence(self.summary)
        self.reasons = [str(r) for r in answer.get("reasons") or []]
        self.checks = [c for c in answer.get("checks") or [] if isinstance(c, Mapping)]
        self.evidence = [e for e in answer.get("evidence") or [] if isinstance(e, Mapping)]
        self.suggested = [str(s) for s in answer.get("suggested_questions") or []]
        self.disclaimer = str(answer.get("disclaimer") or "")
        self.emergency = answer.get("emergency")
        self.tools = [str(t.get("name")) for t in body.get("tools") or [] if isinstance(t, Mapping)]
        self.details = [str(c.get("detail") or "") for c in self.checks]
        self.folded_first = fold(self.first)
        self.folded_summary = fold(self.summary)
        self.folded_text = fold(" ".join([self.summary, *self.reasons]))
        self.folded_all = fold(" ".join([self.summary, *self.reasons, *self.details, *self.suggested]))

    def statuses(self) -> list[str]:
        return [str(c.get("status")) for c in self.checks]

    def recall_entries(self) -> list[Mapping[str, Any]]:
        return [e for e in self.evidence if e.get("type") == "recall"]


def _entry_text(entry: Mapping[str, Any]) -> str:
    return fold(" | ".join(str(entry.get(k) or "") for k in ("id", "title", "url", "date")))


def _entry_label(entry: Mapping[str, Any]) -> str:
    return f"{entry.get('id')} ({entry.get('date') or 'no date'}) {str(entry.get('title') or '')[:60]}"


#: Patterns longer than this are cut in failure messages (the shared ones are long).
PATTERN_SHOWN_CHARS = 60


def _shown(pattern: str) -> str:
    return pattern if len(pattern) <= PATTERN_SHOWN_CHARS else pattern[: PATTERN_SHOWN_CHARS - 1] + "…"


def _found(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


# --- invariants ---

_NEGATION = re.compile(
    r"\b(?:not|never|no|nothing|cannot|can't|isn't|aren't|wasn't|won't|don't|doesn't|nunca|ni|sin|nada|tampoco)\b"
)
# "safer"/"más seguro" compare with an alternative; "safe sleep" names a practice, not the product.
_SAFE = re.compile(r"\bsafe(?:ly)?\b(?![\s-]+sleep)|(?<!mas )\bsegur[oa]s?\b")
_NO_PROBLEMS = re.compile(r"\bno problems? (?:were )?found\b|\bno se encontraron problemas\b|\bsin problemas\b")
_CAN_BE_USED = re.compile(r"\bit can be used\b|\bse puede usar\b")
_DOUBLE_PERIOD = re.compile(r"(?<!\.)\.\.(?!\.)")
_EMPTY_FIELD = re.compile(r"\b(?:hazard|remedy|peligro|solucion):\s*(?:not given|no indicad[oa]|none|n/a)\b")


def calls_safe(text: str) -> str | None:
    """The clause of `text` that calls something safe without a negation before it, if any."""
    folded = fold(text)
    for match in _SAFE.finditer(folded):
        clause_start = max(folded.rfind(mark, 0, match.start()) for mark in (".", ";", ":", ",", "!", "?"))
        window = folded[clause_start + 1: match.start()]
        if not _NEGATION.search(window):
            return folded[clause_start + 1: match.end()].strip()
    return None


def invariant_failures(answer: _Answer) -> list[Failure]:
    failures = []
    raw = " ".join([answer.summary, *answer.reasons, *answer.details])
    if _DOUBLE_PERIOD.search(raw):
        where = _DOUBLE_PERIOD.search(raw)
        assert where is not None
        failures.append(Failure("double_period", f"'..' in '…{raw[max(where.start() - 40, 0):where.end()]}'"))
    claim = calls_safe(answer.summary)
    if claim is not None:
        failures.append(Failure("calls_safe", f"the summary says '{claim}'"))
    statuses = answer.statuses()
    if any(s != "pass" for s in statuses) and _NO_PROBLEMS.search(answer.folded_summary):
        failures.append(Failure("no_problems_while_open", f"'no problems' with checks {statuses}"))
    if "fail" in statuses and _CAN_BE_USED.search(answer.folded_summary):
        failures.append(Failure("can_be_used_while_fail", "'it can be used' while a check fails"))
    empty = _EMPTY_FIELD.search(answer.folded_all)
    if empty:
        failures.append(Failure("empty_field", f"'{empty.group(0)}'"))
    return failures


# --- the case's expectations ---


def _date_forms(day: dt.date) -> str:
    """A pattern for `day` written as ISO, 'December 2, 2026', '2 December 2026' or '2 de diciembre de 2026'."""
    months_en = "january february march april may june july august september october november december".split()
    months_es = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
    en, es = months_en[day.month - 1], months_es[day.month - 1]
    return (
        rf"{day.isoformat()}|{en} {day.day},? {day.year}|{day.day} {en},? {day.year}"
        rf"|{day.day} de {es} de(?:l)? {day.year}"
    )


_ENGLISH_MARKERS = frozenset(
    """the is it its we our your you this that with could not recall recalled recalls updated found check checks
    matched compare please and has have been was were can may should there what which would""".split()
)
# Text quoted from the data stays as published (names, hazards), so it is left out of the language test.
_QUOTED = re.compile(r"\([^)]*\)|\"[^\"]*\"|\u201c[^\u201d]*\u201d|\b(?:hazard|peligro|remedy|solucion):[^|]*")


def english_words(answer: _Answer) -> list[str]:
    """English words in what should be a Spanish answer, data quotes aside."""
    parts = [answer.summary, *answer.reasons, *answer.details, *answer.suggested, answer.disclaimer]
    text = " | ".join(fold(p) for p in parts)
    for entry in answer.evidence:
        title = fold(str(entry.get("title") or ""))
        if title:
            text = text.replace(title, " ")
    text = _QUOTED.sub(" ", text)
    words = re.findall(r"[a-z']+", text)
    return list(dict.fromkeys(w for w in words if w in _ENGLISH_MARKERS))


def _patterns(kind: str, patterns: list[str], text: str, *, present: bool) -> list[Failure]:
    """A failure per pattern that is missing from `text` (present=True) or found in it (present=False)."""
    verb = "lacks" if present else "has"
    return [Failure(kind, f"{verb} /{_shown(p)}/") for p in patterns if _found(p, text) != present]


def _text_failures(expect: Expect, answer: _Answer) -> list[Failure]:
    failures = []
    if expect.first_starts and not any(re.match(rf"(?:{p})", answer.folded_first) for p in expect.first_starts):
        failures.append(Failure("first_starts", f"does not open with /{_shown('|'.join(expect.first_starts))}/"))
    return [
        *failures,
        *_patterns("first_has", expect.first_has, answer.folded_first, present=True),
        *_patterns("first_lacks", expect.first_lacks, answer.folded_first, present=False),
        *_patterns("summary_has", expect.summary_has, answer.folded_summary, present=True),
        *_patterns("summary_lacks", expect.summary_lacks, answer.folded_summary, present=False),
        *_patterns("text_has", expect.text_has, answer.folded_text, present=True),
        *_patterns("text_lacks", expect.text_lacks, answer.folded_all, present=False),
    ]


def _routing_failures(expect: Expect, answer: _Answer) -> list[Failure]:
    failures = []
    if expect.intent is not None and answer.intent not in expect.intent:
        failures.append(Failure("intent", f"is {answer.intent}, expected {' or '.join(expect.intent)}"))
    emergency = answer.emergency if isinstance(answer.emergency, Mapping) else {}
    level = emergency.get("level") or "none"
    if expect.emergency is not None and level not in expect.emergency:
        failures.append(Failure("emergency", f"is {level}, expected {' or '.join(expect.emergency)}"))
    action = fold(f"{emergency.get('call_to_action') or ''} {emergency.get('reason') or ''}")
    failures += _patterns("call_to_action_has", expect.call_to_action_has, action, present=True)
    failures += _patterns("call_to_action_lacks", expect.call_to_action_lacks, action, present=False)
    failures += [Failure("tools_include", f"{t} did not run") for t in expect.tools_include if t not in answer.tools]
    failures += [Failure("tools_absent", f"{t} ran") for t in expect.tools_absent if t in answer.tools]
    return failures


def _check_failures(expect: Expect, answer: _Answer) -> list[Failure]:
    failures = []
    listed = ", ".join(f"{c.get('name')}={c.get('status')}" for c in answer.checks) or "none"
    for pattern, wanted in expect.checks.items():
        named = [c for c in answer.checks if re.fullmatch(pattern, str(c.get("name")))]
        if not named:
            failures.append(Failure("checks", f"no check named /{pattern}/ (checks: {listed})"))
        elif not any(c.get("status") in wanted for c in named):
            got = ", ".join(str(c.get("status")) for c in named)
            failures.append(Failure("checks", f"/{pattern}/ is {got}, expected {' or '.join(wanted)}"))
    statuses = answer.statuses()
    if expect.some_check and not any(s in expect.some_check for s in statuses):
        failures.append(Failure("some_check", f"no check is {' or '.join(expect.some_check)} (checks: {listed})"))
    bad = [s for s in statuses if s in expect.no_check_status]
    if bad:
        failures.append(Failure("no_check_status", f"a check is {bad[0]} (checks: {listed})"))
    return failures


def _evidence_failures(expect: Expect, answer: _Answer) -> list[Failure]:
    failures = []
    recalls = answer.recall_entries()
    texts = [_entry_text(e) for e in recalls]
    everything = [_entry_text(e) for e in answer.evidence]
    failures += [
        Failure("evidence_has", f"no entry matches /{_shown(p)}/")
        for p in expect.evidence_has if not any(_found(p, t) for t in everything)
    ]
    if expect.evidence_first is not None:
        if not recalls:
            failures.append(Failure("evidence_first", "no recall evidence at all"))
        elif not _found(expect.evidence_first, texts[0]):
            message = f"first recall is {_entry_label(recalls[0])}, expected /{_shown(expect.evidence_first)}/"
            failures.append(Failure("evidence_first", message))
    for pattern in expect.evidence_once:
        count = sum(_found(pattern, t) for t in texts)
        if count != 1:
            failures.append(Failure("evidence_once", f"{count} recall entries match /{_shown(pattern)}/, expected 1"))
    for pattern in expect.evidence_lacks:
        hits = [_entry_label(e) for e, t in zip(recalls, texts) if _found(pattern, t)]
        if hits:
            failures.append(Failure("evidence_lacks", f"/{_shown(pattern)}/ matches {hits[0]}"))
    return failures


def _presentation_failures(expect: Expect, answer: _Answer, facts: RunFacts) -> list[Failure]:
    failures = []
    if expect.suggestions and not answer.suggested:
        failures.append(Failure("suggestions", "no suggested questions"))
    if expect.freshness:
        for label, day in (("data checked", facts.checked_on), ("newest recall", facts.newest_recall)):
            if not _found(_date_forms(day), answer.folded_text):
                failures.append(Failure("freshness", f"does not say {label} {day.isoformat()}"))
    if expect.language == "es":
        english = english_words(answer)
        if english:
            failures.append(Failure("language", f"English words in a Spanish answer: {', '.join(english[:6])}"))
    return failures


def judge(case: Case, reply: Reply, facts: RunFacts) -> list[Failure]:
    """Every failure of `reply` against `case` and the invariants; empty when it passes."""
    if reply.status != 200 or not isinstance(reply.body.get("answer"), Mapping):
        error = reply.body.get("error") if isinstance(reply.body.get("error"), Mapping) else {}
        return [Failure("http_ok", f"HTTP {reply.status} {error.get('code', '')} {error.get('message', '')}".strip())]
    answer = _Answer(reply.body)
    expect = case.expect
    return [
        *_routing_failures(expect, answer),
        *_text_failures(expect, answer),
        *_check_failures(expect, answer),
        *_evidence_failures(expect, answer),
        *_presentation_failures(expect, answer, facts),
        *invariant_failures(answer),
    ]


def summary_of(reply: Reply) -> str:
    """The answer's summary, or what the API said instead."""
    answer = reply.body.get("answer")
    if isinstance(answer, Mapping):
        return str(answer.get("summary") or "")
    return f"(HTTP {reply.status})"


def tally(failures: Iterable[Failure]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for failure in failures:
        counts[failure.kind] = counts.get(failure.kind, 0) + 1
    return counts
