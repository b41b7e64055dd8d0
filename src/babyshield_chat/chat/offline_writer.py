"""The deterministic writer: an honest answer built from tool results alone.

`OfflineWriter` is the synthesizer when no LLM is configured
(`synthesizer: "offline"`), and `compose(request, fallback_reason)` is the
fallback writer of spec step 6 (`synthesizer: "fallback"`). Both produce the
answer shape of spec section 1 from the same rules:

- The summary's first sentence answers the question the intent asks
  ("Yes, it appears in a recall: ..."), decided by that intent's tool.
- Nothing is called safe. The one all-clear sentence (`ALL_CLEAR`) is used
  only when every check passed and every tool ran; any `fail`, `warn` or
  `unknown`, or any tool that failed, rules it out.
- A tool that failed (`ok=False`) is named: its topic is "not covered", it
  gets an `unknown` check and an `unchecked:<tool>` flag.
- A recall answer always says how fresh the recall data is, and an empty or
  stale recall table never reads as "no recalls".
- Evidence is exactly what the tools returned, deduplicated by (type, id).
- English, or Spanish for `es-*` locales.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from babyshield_chat.chat import offline_text as text
from babyshield_chat.chat.locales import Language, parse_locale
from babyshield_chat.chat.model import Answer, Check, CheckStatus, Evidence, SynthesisRequest, ToolResult
from babyshield_chat.chat.tools.common import STATUS_SEVERITY, Says, join_names, localized_detail, worst

#: Answers list at most this many reasons; notices about failed tools and
#: the fallback are always kept.
DEFAULT_MAX_REASONS = 10
#: Recall matches described one by one before the rest are only counted.
DEFAULT_MAX_RECALL_ITEMS = 3
#: Ingredient explanations listed for an ingredient question.
DEFAULT_MAX_INGREDIENT_ITEMS = 8


def _say(says: Says, language: Language, **values: Any) -> str:
    template = says.es if language == "es" else says.en
    return template.format(**values) if values else template


class _Reading:
    """The tool results of one request, read once: checks, failures, recall facts."""

    def __init__(self, request: SynthesisRequest) -> None:
        self.language: Language = parse_locale(request.locale).language
        self.intent = request.intent
        self.results = list(request.tool_results)
        self.failed = [r for r in self.results if not r.ok]
        self.checks: list[tuple[Check, ToolResult]] = [(c, r) for r in self.results for c in r.checks]
        # A failed tool that reported no check still shows up as unknown.
        for result in self.failed:
            if not result.checks:
                stand_in = Check(name=result.name, status="unknown", detail=_say(text.tool_failed(result.name), "en"))
                self.checks.append((stand_in, result))

    def detail(self, check: Check, result: ToolResult) -> str:
        if not result.ok and check.name == result.name and not result.checks:
            return _say(text.tool_failed(result.name), self.language)
        return localized_detail(check, result, self.language)

    def tool(self, name: str) -> ToolResult | None:
        return next((r for r in self.results if r.name == name), None)

    def statuses(self) -> list[CheckStatus]:
        return [c.status for c, _ in self.checks]

    def all_clear(self) -> bool:
        return bool(self.checks) and not self.failed and all(s == "pass" for s in self.statuses())


# --- recall facts ---


def _as_of(result: ToolResult) -> str | None:
    """The recall data's date, from `data_as_of` or the tool's facts."""
    stamp: Any = result.data_as_of or result.facts.get("data_as_of")
    if isinstance(stamp, dt.datetime):
        return stamp.date().isoformat()
    if isinstance(stamp, dt.date):
        return stamp.isoformat()
    if isinstance(stamp, str) and stamp:
        return stamp[:10]
    return None


def _matches(result: ToolResult) -> list[dict[str, Any]]:
    matches = result.facts.get("matches") or []
    return [m for m in matches if isinstance(m, dict)]


def _recall_lead(result: ToolResult | None, language: Language) -> str:
    if result is None or not result.ok:
        return _say(text.missing_tool_lead("recall_lookup"), language)
    as_of = _as_of(result)
    matches = _matches(result)
    check = next((c for c in result.checks if c.name == "recall"), None)
    status = check.status if check else ("fail" if matches else "unknown")
    if status in {"fail", "warn"} and matches:
        first = matches[0]
        values = {
            "title": first.get("title") or first.get("recall_number") or "",
            "date": first.get("date") or _say(text.RECALL["no_date"], language),
            "count": len(matches),
        }
        # A name-only match is a lead to check, not a finding ("warn").
        if status == "warn" or result.facts.get("match_kind") == "name":
            return _say(text.RECALL["name_match"], language, **values)
        key = "match_many" if len(matches) > 1 else "match"
        return _say(text.RECALL[key], language, **values)
    if status == "pass" and as_of and not result.facts.get("stale"):
        return _say(text.RECALL["none"], language, as_of=as_of)
    if result.facts.get("records_loaded") == 0:
        return _say(text.RECALL["empty"], language)
    if result.facts.get("stale") and as_of:
        return _say(text.RECALL["stale"], language, as_of=as_of)
    return _say(text.RECALL["unknown"], language)


def _recall_reasons(result: ToolResult, language: Language) -> list[str]:
    reasons: list[str] = []
    matches = _matches(result)
    missing = _say(text.RECALL["not_given"], language)
    for match in matches[:DEFAULT_MAX_RECALL_ITEMS]:
        reasons.append(
            _say(
                text.RECALL["item"],
                language,
                title=match.get("title") or match.get("recall_number") or missing,
                agency=match.get("agency") or "",
                number=match.get("recall_number") or missing,
                date=match.get("date") or _say(text.RECALL["no_date"], language),
                hazard=match.get("hazard") or missing,
                remedy=match.get("remedy") or missing,
            )
            .replace("( ", "(")
            .replace("  ", " ")
        )
    as_of = _as_of(result)
    if as_of is None:
        reasons.append(_say(text.RECALL["undated_note"], language))
    elif result.facts.get("stale"):
        reasons.append(_say(text.RECALL["stale_note"], language, as_of=as_of))
    else:
        reasons.append(_say(text.RECALL["fresh_note"], language, as_of=as_of))
    return reasons


# --- summary ---


def _alternatives_lead(result: ToolResult, language: Language) -> str:
    """What to choose instead: named products if the tool has a catalogue, else the standard to look for."""
    names = [
        " ".join(str(p) for p in (item.get("brand"), item.get("name")) if p)
        for item in result.facts.get("alternatives") or []
        if isinstance(item, dict) and item.get("name")
    ]
    if names:
        return _say(text.ALTERNATIVES["found"], language, names=join_names(names, language))
    if result.facts.get("look_for"):
        return _say(text.ALTERNATIVES["standard"], language, standard=result.facts["look_for"])
    if "category" in result.facts and not result.facts.get("category"):
        return _say(text.ALTERNATIVES["no_category"], language)
    return _say(text.ALTERNATIVES["none"], language)


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


def _tool_lead(reading: _Reading, tool_name: str) -> tuple[str, str | None]:
    """The lead sentence for an intent's tool, and the check detail it leans on."""
    language = reading.language
    result = reading.tool(tool_name)
    if tool_name == "recall_lookup":
        return _recall_lead(result, language), None
    if result is None or not result.ok:
        return _say(text.missing_tool_lead(tool_name), language), None
    if tool_name == "alternatives":
        return _alternatives_lead(result, language), None
    status = worst((c.status for c in result.checks), default="unknown")
    # A tool without its own leads never gets the all-clear wording: "pass"
    # falls back to the generic "could not check everything".
    leads = text.LEADS.get(tool_name, text.GENERIC_LEADS)
    key = "fail_stated" if status == "fail" and result.facts.get("fail_from_message") else status
    lead = _say(leads.get(key, text.GENERIC_LEADS["unknown"]), language)
    deciding = next((c for c in result.checks if c.status == status), None)
    if status == "pass" or deciding is None:
        return lead, None
    return lead, reading.detail(deciding, result)


def _generic_lead(reading: _Reading) -> tuple[str, str | None]:
    language = reading.language
    if not reading.checks:
        key = "unclear" if reading.intent == "unclear_intent" else "none"
        return _say(text.GENERIC_LEADS[key], language), None
    if reading.all_clear():
        return _say(text.ALL_CLEAR, language), None
    status = worst(reading.statuses())
    # A failed tool means something was not checked, even if the rest passed.
    if status == "pass":
        status = "unknown"
    deciding = next(((c, r) for c, r in reading.checks if c.status == status), None)
    lead = _say(text.GENERIC_LEADS[status], language)
    return lead, reading.detail(*deciding) if deciding else None


def _summary(reading: _Reading) -> tuple[str, set[str]]:
    tool_name = text.INTENT_TOOL.get(reading.intent)
    lead, detail = _tool_lead(reading, tool_name) if tool_name else _generic_lead(reading)
    summary = f"{lead} {detail}" if detail else lead
    return summary, {detail} if detail else set()


# --- reasons, flags, suggestions ---


def _check_reasons(reading: _Reading, used: set[str]) -> list[str]:
    # Most severe first: what is wrong matters more than what is fine.
    ranked = sorted(reading.checks, key=lambda pair: -STATUS_SEVERITY[pair[0].status])
    reasons = []
    for check, result in ranked:
        if not result.ok and not result.checks:
            continue  # said by the tool-failure notice
        detail = reading.detail(check, result)
        if detail not in used and detail not in reasons:
            reasons.append(detail)
    return reasons


def _ingredient_reasons(reading: _Reading) -> list[str]:
    result = reading.tool("ingredient_info")
    if result is None or not result.ok or reading.intent != "ingredient_info":
        return []
    key = "text_es" if reading.language == "es" else "text"
    items = [x for x in result.facts.get("explained") or [] if isinstance(x, dict)]
    return [
        _say(text.INGREDIENT_ITEM, reading.language, ingredient=x.get("ingredient", ""), text=x.get(key, ""))
        for x in items[:DEFAULT_MAX_INGREDIENT_ITEMS]
    ]


def _notices(reading: _Reading, fallback_reason: str | None) -> list[str]:
    """What could not be checked, and why this answer is the short one."""
    language = reading.language
    if fallback_reason is None:
        return [_say(text.tool_failed(r.name), language) for r in reading.failed]
    notices = [_say(text.FALLBACK_NOTICES.get(fallback_reason, text.GENERIC_FALLBACK), language)]
    if reading.failed:
        topics = join_names(
            (_say(text.TOOL_TOPICS.get(r.name, Says(r.name, r.name)), language) for r in reading.failed), language
        )
        notices.append(_say(text.INCOMPLETE_CHECKS, language, topics=topics))
    return notices


def _reasons(reading: _Reading, used: set[str], fallback_reason: str | None) -> list[str]:
    recall = reading.tool("recall_lookup")
    recall_part = _recall_reasons(recall, reading.language) if recall is not None and recall.ok else []
    alternatives = reading.tool("alternatives")
    alternatives_part = (
        _alternatives_reasons(alternatives, reading.language) if alternatives is not None and alternatives.ok else []
    )
    body = recall_part + alternatives_part + _check_reasons(reading, used) + _ingredient_reasons(reading)
    body = list(dict.fromkeys(r for r in body if r))
    notices = _notices(reading, fallback_reason)
    room = max(DEFAULT_MAX_REASONS - len(notices), 0)
    return body[:room] + notices


def _flags(reading: _Reading) -> list[str]:
    flags: list[str] = []
    for result in reading.results:
        if not result.ok or any(c.status == "unknown" for c in result.checks):
            flags.append(f"unchecked:{result.name}")
    for check, result in reading.checks:
        if not result.ok:
            continue
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
    recall = reading.tool("recall_lookup")
    if recall is not None and recall.ok:
        if recall.facts.get("records_loaded") == 0:
            flags.append("recall_data_empty")
        elif recall.facts.get("stale"):
            flags.append("recall_data_stale")
    return list(dict.fromkeys(flags))


def _evidence(results: Iterable[ToolResult]) -> list[Evidence]:
    seen: dict[tuple[str, str], Evidence] = {}
    for result in results:
        for item in result.evidence:
            seen.setdefault((item.type, item.id), item)
    return list(seen.values())


def _suggested(reading: _Reading, flags: list[str]) -> list[str]:
    options = list(text.SUGGESTED.get(reading.intent, text.DEFAULT_SUGGESTED))
    if "recalled" in flags:
        options.insert(0, text.RECALLED_NEXT)
    age = reading.tool("age_check")
    if age is not None and any("birthdate" in c.detail for c in age.checks):
        options.append(text.ADD_BIRTHDATE)
    return [_say(s, reading.language) for s in dict.fromkeys(options)][:3]


def compose(request: SynthesisRequest, fallback_reason: str | None = None) -> Answer:
    """Write the answer for `request` from its tool results (no I/O, no LLM)."""
    reading = _Reading(request)
    summary, used = _summary(reading)
    flags = _flags(reading)
    checks = [Check(name=c.name, status=c.status, detail=reading.detail(c, r)) for c, r in reading.checks]
    return Answer(
        summary=summary,
        reasons=_reasons(reading, used, fallback_reason),
        checks=checks,
        flags=flags,
        evidence=_evidence(reading.results),
        suggested_questions=_suggested(reading, flags),
        disclaimer=_say(text.DISCLAIMER, reading.language),
        emergency=None,
    )


class OfflineWriter:
    """The built-in `Synthesizer`: deterministic, instant, never fails."""

    async def write(self, request: SynthesisRequest) -> Answer:
        return compose(request)
