"""The deterministic writer: an honest answer built from the ranked findings alone.

`OfflineWriter` is the synthesizer when no LLM is configured
(`synthesizer: "offline"`), and `compose(request, fallback_reason)` is the
fallback writer of spec step 6 (`synthesizer: "fallback"`). Both write the
answer shape of spec section 1 the same way:

- The summary opens with the lead of the most serious finding
  (`chat.findings`, spec 4b.7), so the first sentence answers the question
  as asked ("No: labelled for 6 months and up; you said your baby is 3
  months old."). Up to `DEFAULT_MAX_MORE` sentences follow for the other
  findings that matter: a second problem, and the answer to every other
  concern of the message, even when it is "we could not tell".
- Nothing is called safe; when every check passed the answer says what the
  checks found, and nothing more.
- A tool that failed (`ok=False`) is named: its topic is "not covered", it
  gets an `unknown` check and an `unchecked:<tool>` flag.
- A recall answer says how fresh the data is: the last import and the
  newest recall (spec 4b.10). Hazard and remedy texts from the data are cut
  at a sentence boundary, and a missing remedy is left out, not "not given".
- Evidence is exactly what the tools returned, deduplicated by (type, id).
- English, or Spanish when the answer's language is Spanish, throughout.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from babyshield_chat.chat import offline_text as text
from babyshield_chat.chat.clean import end_sentence, short_title, shorten, shown_number, tidy
from babyshield_chat.chat.findings import findings_of, freshness
from babyshield_chat.chat.model import Answer, Check, Evidence, Finding, SynthesisRequest, ToolResult
from babyshield_chat.chat.tools.common import STATUS_SEVERITY, Says, join_names, localized_detail
from babyshield_chat.vocabulary import Language

#: Answers list at most this many reasons; notices about failed tools and
#: the fallback are always kept.
DEFAULT_MAX_REASONS = 10
#: Recall matches described one by one before the rest are only counted.
DEFAULT_MAX_RECALL_ITEMS = 3
#: Ingredient explanations listed for an ingredient question.
DEFAULT_MAX_INGREDIENT_ITEMS = 8
#: Sentences the summary adds after its lead, for other findings that matter.
DEFAULT_MAX_MORE = 2

# Findings worth a sentence of the summary after the lead (open checks and passes stay in the reasons).
_SAID_IN_SUMMARY = frozenset(
    {"serious_recall", "recall", "unsuitable", "allergen", "pregnancy", "possible_recall", "caution", "info"}
)


def _say(says: Says, language: Language, **values: Any) -> str:
    template = says.es if language == "es" else says.en
    return template.format(**values) if values else template


def _tool(request: SynthesisRequest, name: str) -> ToolResult | None:
    return next((r for r in request.tool_results if r.name == name), None)


# --- summary ---


def summary_of(findings: list[Finding], language: Language) -> str:
    """The lead of the top finding, then a sentence for each other finding that matters."""
    if not findings:
        return ""
    top = findings[0]
    sentences = [top.lead]
    said = {(top.tool, top.check)}
    for finding in findings[1:]:
        if len(sentences) > DEFAULT_MAX_MORE:
            break
        # What matters, and the answer to every concern the message raised (once per tool).
        answers_concern = finding.asked and finding.tool not in {tool for tool, _ in said}
        worth_saying = finding.kind in _SAID_IN_SUMMARY or answers_concern or (top.kind == finding.kind == "pass")
        if not worth_saying or (finding.tool, finding.check) in said or finding.statement in sentences:
            continue
        sentences.append(finding.statement)
        said.add((finding.tool, finding.check))
    return tidy(" ".join(end_sentence(s) for s in sentences))


def _empty_summary(request: SynthesisRequest) -> str:
    key = "unclear" if request.intent == "unclear_intent" else "none"
    return _say(text.GENERIC_LEADS[key], request.language)


# --- reasons ---


def _recall_reasons(result: ToolResult, language: Language) -> list[str]:
    reasons: list[str] = []
    for match in [m for m in result.facts.get("matches") or [] if isinstance(m, dict)][:DEFAULT_MAX_RECALL_ITEMS]:
        number = shown_number(match.get("recall_number"))
        label = ", ".join(p for p in (
            _say(text.RECALL["number"], language, agency=match.get("agency") or "", number=number) if number
            else match.get("agency"),
            match.get("date") or _say(text.RECALL["no_date"], language)) if p)
        title = short_title(match.get("title") or "")
        parts = [f"{f'“{title}”' if language == 'es' else title} ({label})"]
        if match.get("hazard"):
            parts.append(_say(text.RECALL["hazard"], language, hazard=shorten(match["hazard"])))
        if match.get("remedy"):
            parts.append(_say(text.RECALL["remedy"], language, remedy=shorten(match["remedy"])))
        reasons.append(" ".join(end_sentence(p) for p in parts))
    fresh = freshness(result, language)
    if fresh is None:
        reasons.append(_say(text.RECALL["undated_note"], language))
    elif result.facts.get("stale"):
        reasons.append(_say(text.RECALL["stale_note"], language, as_of=result.facts["data_as_of"][:10]))
    else:
        reasons.append(fresh)
    return reasons


def _alternatives_reasons(result: ToolResult, language: Language) -> list[str]:
    recalled = [m for m in result.facts.get("recalled_in_category") or [] if isinstance(m, dict)]
    if not recalled:
        return []
    items = [
        f"{m.get('title') or m.get('recall_number')} ({m.get('date') or _say(text.RECALL['no_date'], language)})"
        for m in recalled[:DEFAULT_MAX_RECALL_ITEMS]
    ]
    key = "recalled_nearby_one" if len(recalled) == 1 else "recalled_nearby"
    return [_say(text.ALTERNATIVES[key], language, count=len(recalled), items="; ".join(items))]


def _checks(request: SynthesisRequest) -> list[tuple[Check, ToolResult]]:
    pairs = [(c, r) for r in request.tool_results for c in r.checks]
    for result in request.tool_results:
        if not result.ok and not result.checks:  # a failed tool that reported no check still shows up
            pairs.append((Check(name=result.name, status="unknown", detail=_say(text.tool_failed(result.name), "en")),
                          result))
    return pairs


def _detail(check: Check, result: ToolResult, language: Language) -> str:
    if not result.ok and check.name == result.name and not result.checks:
        return _say(text.tool_failed(result.name), language)
    return localized_detail(check, result, language)


def _check_reasons(request: SynthesisRequest, summary: str) -> list[str]:
    # Most severe first: what is wrong matters more than what is fine.
    ranked = sorted(_checks(request), key=lambda pair: -STATUS_SEVERITY[pair[0].status])
    reasons = []
    for check, result in ranked:
        if not result.ok and not result.checks:
            continue  # said by the tool-failure notice
        detail = _detail(check, result, request.language)
        if detail not in summary and detail not in reasons:
            reasons.append(detail)
    return reasons


def _ingredient_reasons(request: SynthesisRequest) -> list[str]:
    result = _tool(request, "ingredient_info")
    if result is None or not result.ok or request.intent != "ingredient_info":
        return []
    key = "text_es" if request.language == "es" else "text"
    items = [x for x in result.facts.get("explained") or [] if isinstance(x, dict)]
    return [
        _say(text.INGREDIENT_ITEM, request.language, ingredient=x.get("ingredient", ""), text=x.get(key, ""))
        for x in items[:DEFAULT_MAX_INGREDIENT_ITEMS]
    ]


def _notices(request: SynthesisRequest, fallback_reason: str | None) -> list[str]:
    """What could not be checked, and why this answer is the short one."""
    language = request.language
    failed = [r for r in request.tool_results if not r.ok]
    if fallback_reason is None:
        return [_say(text.tool_failed(r.name), language) for r in failed]
    notices = [_say(text.FALLBACK_NOTICES.get(fallback_reason, text.GENERIC_FALLBACK), language)]
    if failed:
        topics = join_names(
            (_say(text.TOOL_TOPICS.get(r.name, Says(r.name, r.name)), language) for r in failed), language
        )
        notices.append(_say(text.INCOMPLETE_CHECKS, language, topics=topics))
    return notices


def _reasons(request: SynthesisRequest, summary: str, fallback_reason: str | None) -> list[str]:
    language = request.language
    recall = _tool(request, "recall_lookup")
    recall_part = _recall_reasons(recall, language) if recall is not None and recall.ok else []
    alternatives = _tool(request, "alternatives")
    alternatives_part = (
        _alternatives_reasons(alternatives, language) if alternatives is not None and alternatives.ok else []
    )
    body = recall_part + alternatives_part + _check_reasons(request, summary) + _ingredient_reasons(request)
    body = list(dict.fromkeys(tidy(r) for r in body if r))
    notices = _notices(request, fallback_reason)
    room = max(DEFAULT_MAX_REASONS - len(notices), 0)
    return body[:room] + notices


# --- flags, evidence, suggestions ---


def _flags(request: SynthesisRequest) -> list[str]:
    flags: list[str] = []
    for result in request.tool_results:
        if not result.ok or any(c.status == "unknown" for c in result.checks):
            flags.append(f"unchecked:{result.name}")
    for result in request.tool_results:
        if not result.ok:
            continue
        for check in result.checks:
            if result.name == "recall_lookup" and check.name == "recall" and check.status == "fail":
                flags.append("recalled")
            elif result.name == "recall_lookup" and check.name == "recall" and check.status == "warn":
                flags.append("possible_recall")
            elif result.name == "allergen_check" and check.status == "fail":
                flags.append("allergen_match")
            elif result.name == "allergen_check" and check.status == "warn":
                flags.append("allergen_caution")
            elif result.name == "age_check" and check.status == "fail":
                flags.append("too_young" if check.name == "age_minimum" else f"safety_rule:{check.name}")
            elif result.name == "pregnancy_check" and check.status in {"fail", "warn"}:
                flags.append("pregnancy_avoid" if check.status == "fail" else "pregnancy_caution")
            elif result.name == "ingredient_info" and check.status == "warn":
                flags.append("ingredient_caution")
    recall = _tool(request, "recall_lookup")
    if recall is not None and recall.ok:
        if recall.facts.get("records_loaded") == 0:
            flags.append("recall_data_empty")
        elif recall.facts.get("stale"):
            flags.append("recall_data_stale")
    return list(dict.fromkeys(flags))


def evidence_of(results: Iterable[ToolResult]) -> list[Evidence]:
    seen: dict[tuple[str, str], Evidence] = {}
    for result in results:
        for item in result.evidence:
            seen.setdefault((item.type, item.id), item)
    return list(seen.values())


def _suggested(request: SynthesisRequest, flags: list[str]) -> list[str]:
    options = list(text.SUGGESTED.get(request.intent, text.DEFAULT_SUGGESTED))
    if "recalled" in flags:
        options.insert(0, text.RECALLED_NEXT)
    age = _tool(request, "age_check")
    if age is not None and any("birthdate" in c.detail for c in age.checks):
        options.append(text.ADD_BIRTHDATE)
    return [_say(s, request.language) for s in dict.fromkeys(options)][:3]


def localized_checks(request: SynthesisRequest) -> list[Check]:
    """The tools' checks, each detail in the answer's language; a failed tool without checks reads `unknown`."""
    return [Check(name=c.name, status=c.status, detail=_detail(c, r, request.language)) for c, r in _checks(request)]


def compose(request: SynthesisRequest, fallback_reason: str | None = None) -> Answer:
    """Write the answer for `request` from its findings (no I/O, no LLM)."""
    findings = findings_of(request)
    summary = summary_of(findings, request.language) or _empty_summary(request)
    flags = _flags(request)
    return Answer(
        summary=summary,
        reasons=_reasons(request, summary, fallback_reason),
        checks=localized_checks(request),
        flags=flags,
        evidence=evidence_of(request.tool_results),
        suggested_questions=_suggested(request, flags),
        disclaimer=_say(text.DISCLAIMER, request.language),
        emergency=None,
    )


class OfflineWriter:
    """The built-in `Synthesizer`: deterministic, instant, never fails."""

    async def write(self, request: SynthesisRequest) -> Answer:
        return compose(request)
