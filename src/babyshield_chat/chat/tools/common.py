"""What the pure check tools share: bilingual checks, cited rules, status order.

Tools do not know the answer's language, yet the answer may be Spanish. So a
tool writes each check's `detail` in English and puts the Spanish sentence in
`facts["detail_es"][check_name]`; `localized_detail` is how a writer picks
the one it needs (falling back to English for tools that give none).

`Citation` is a published rule a check is based on, turned into `Evidence`
only when the check actually relied on it: an answer cites what applied,
never the whole library.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from babyshield_chat.chat.model import Check, CheckStatus, Evidence, EvidenceType, ToolResult

#: Severity order used to summarise several statuses into one: a single
#: failing item fails the whole check, and missing information outranks a
#: clean result, so nothing reads as "pass" while something is unknown.
STATUS_SEVERITY: dict[str, int] = {"pass": 0, "unknown": 1, "warn": 2, "fail": 3}


def worst(statuses: Iterable[CheckStatus], default: CheckStatus = "unknown") -> CheckStatus:
    """The most severe status of `statuses` (`default` when there are none)."""
    ranked = sorted(statuses, key=STATUS_SEVERITY.__getitem__)
    return ranked[-1] if ranked else default


@dataclass(frozen=True)
class Says:
    """One sentence in both answer languages."""

    en: str
    es: str


@dataclass(frozen=True)
class Citation:
    """A published rule or guideline, citable as evidence."""

    type: EvidenceType
    id: str
    title: str
    url: str | None = None
    date: str | None = None

    def evidence(self) -> Evidence:
        return Evidence(type=self.type, id=self.id, title=self.title, url=self.url, date=self.date)


@dataclass(frozen=True)
class CheckOutcome:
    """A check as a tool decides it, before it becomes a `Check`."""

    name: str
    status: CheckStatus
    says: Says


def build_result(
    name: str,
    outcomes: Iterable[CheckOutcome],
    facts: dict[str, Any],
    citations: Iterable[Citation] = (),
) -> ToolResult:
    """A successful `ToolResult`, with Spanish details in `facts` and evidence deduplicated."""
    outcomes = list(outcomes)
    evidence: dict[tuple[str, str], Evidence] = {}
    for citation in citations:
        evidence.setdefault((citation.type, citation.id), citation.evidence())
    return ToolResult(
        name=name,
        ok=True,
        checks=[Check(name=o.name, status=o.status, detail=o.says.en) for o in outcomes],
        evidence=list(evidence.values()),
        facts={**facts, "detail_es": {o.name: o.says.es for o in outcomes}},
    )


def localized_detail(check: Check, result: ToolResult, language: str) -> str:
    """The check's detail in `language` ("en" or "es"), English when no translation exists."""
    if language == "es":
        translated = result.facts.get("detail_es", {})
        if isinstance(translated, dict) and isinstance(translated.get(check.name), str):
            return translated[check.name]
    return check.detail


def join_names(names: Iterable[str], language: str = "en") -> str:
    """ "a", "a and b", "a, b and c" (or "y" in Spanish)."""
    items = list(names)
    conjunction = " y " if language == "es" else " and "
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + conjunction + items[-1]


def none_of(count: int, language: str = "en") -> str:
    """The start of "none of the N listed ingredients is ...", right for one ingredient too."""
    if language == "es":
        return (
            "El único ingrediente indicado no es" if count == 1 else f"Ninguno de los {count} ingredientes indicados es"
        )
    return "The one listed ingredient is not" if count == 1 else f"None of the {count} listed ingredients is"
