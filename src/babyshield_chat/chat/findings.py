"""The findings of one answer, ranked once, most serious first (spec 4b.7).

Every writer (the offline writer, the fallback writer, the LLM through its
prompt) leads with the first finding, so a parent's first sentence always
answers from the most serious thing the checks found. The order, by kind
(`vocabulary.FINDING_KINDS`):

1. `serious_recall`: a recall with deaths or serious injuries reported;
2. `recall`: a recall matched by the product's barcode or model number;
3. `unsuitable`: not suitable for the use asked about: a child younger than
   the labelled minimum; banned or unsafe sleep products (inclined sleepers,
   bumpers, positioners, drop-side cribs); loungers, nursing pillows, nests,
   weighted sleep products and sitting devices (swings, car seats) when the
   question is about sleep; walkers;
   honey under 12 months; magnet sets and small parts for young children;
4. `allergen`: an allergen the child is allergic to (or a "may contain" line,
   or an extensively hydrolysed milk protein for a milk allergy);
5. `pregnancy`: to be avoided in pregnancy;
6. `caution`: any other warning about this product (use with care);
7. `possible_recall`: a recall matched by the product's name only (it may
   be another product of that name);
8. `info`: the answer to what was asked when nothing above applies: an
   allergen asked about, the ingredients, alternatives;
9. `unchecked`: what could not be checked (a mistyped code, a name no recall
   uses, a missing ingredient list, a tool that failed);
10. `pass`: checks that passed.

Within a kind: fail before warn; for a product known by its name alone (no
label read), the age check's "does not state a minimum age" after the other
unchecked findings ("we cannot tell from the name alone: scan its
barcode"); then the checks of what the message asked about, then the tools'
order. A question about recalls and nothing else is
answered by the recall look-up first, whatever it found ("is it recalled?"
must never open with "No: drop-side cribs may not be sold"), and the other
findings follow. How the lead answers depends on the question: a recall
question gets "Yes, it was recalled ..."; a question about using the product
gets "No, stop using it: ..."; an explained scan "Stop using it".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Literal

from babyshield_chat.chat import findings_text as say
from babyshield_chat.chat import offline_text as text
from babyshield_chat.chat.clean import short_title
from babyshield_chat.chat.model import Check, Finding, Product, SynthesisRequest, ToolResult
from babyshield_chat.chat.routing import asks_sleep, asks_use
from babyshield_chat.chat.tools.allergens import ALLERGEN_NAMES
from babyshield_chat.chat.tools.common import STATUS_SEVERITY, Says, join_names, localized_detail, worst
from babyshield_chat.vocabulary import FINDING_KINDS, TOOL_NAMES, FindingAnswer, FindingKind, Language

Form = Literal["recall", "use", "explain"]

# Age-check warnings that make a product unsuitable whatever is asked, and those that do when sleep is.
_UNSUITABLE_WARNINGS = frozenset({"walker"})
_SLEEP_WARNINGS = frozenset({"not_for_sleep", "in_bed_sleeper", "weighted_sleep", "infant_pillow", "sitting_device"})
# Warnings that matter only when the question is about sleep.
_ONLY_ABOUT_SLEEP = frozenset({"sitting_device"})
# Which tools answer which concern: their findings come first within a kind.
_CONCERN_TOOLS: dict[str, tuple[str, ...]] = {
    "recall_details": ("recall_lookup",),
    "age_appropriateness": ("age_check",),
    "allergy_question": ("allergen_check",),
    "pregnancy_risk": ("pregnancy_check",),
    "ingredient_info": ("ingredient_info",),
    "alternative_products": ("alternatives",),
}


@dataclasses.dataclass(frozen=True)
class _Asked:
    """What the first sentence must answer."""

    form: Form
    sleep: bool
    tools: frozenset[str]  # the tools of the concerns asked about
    intent: str
    recall_only: bool  # the message asks about recalls and nothing else


def _asked(request: SynthesisRequest) -> _Asked:
    concerns = set(request.concerns) | ({request.intent} if request.intent in _CONCERN_TOOLS else set())
    if request.intent == "explain_scan":
        form: Form = "explain"
    elif "recall_details" in concerns and not asks_use(request.question):
        form = "recall"
    else:
        form = "use"
    tools = frozenset(tool for concern in concerns for tool in _CONCERN_TOOLS.get(concern, ()))
    return _Asked(form=form, sleep=asks_sleep(request.question), tools=tools, intent=request.intent,
                  recall_only=form == "recall" and concerns == {"recall_details"})


def _say(says: Says, language: Language, **values: Any) -> str:
    template = says.es if language == "es" else says.en
    return template.format(**values) if values else template


def first_sentence_of(detail: str) -> str:
    """The detail up to its first full stop followed by a space (abbreviations in details are rare)."""
    depth = 0
    for index, char in enumerate(detail):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char in ".!?" and depth == 0 and detail[index + 1: index + 2] in (" ", ""):
            return detail[: index + 1]
    return detail


def lowered(sentence: str) -> str:
    """The sentence as the continuation of another: first letter lower-cased unless it starts an acronym."""
    if len(sentence) > 1 and sentence[0].isupper() and sentence[1].islower():
        return sentence[0].lower() + sentence[1:]
    return sentence


def _opened(opener: Says, detail: str, language: Language) -> str:
    return f"{_say(opener, language)} {lowered(first_sentence_of(detail))}"


def _finding(kind: FindingKind, answer: FindingAnswer, check: Check, result: ToolResult, lead: str,
             statement: str) -> Finding:
    return Finding(kind=kind, answer=answer, status=check.status, lead=lead, statement=statement,
                   tool=result.name, check=check.name)


# --- recalls ---


def harm(match: dict[str, Any], language: Language) -> str | None:
    """ "8 reported deaths", "a reported serious injury", or None when none is reported."""
    deaths, injuries = int(match.get("deaths") or 0), int(match.get("serious_injuries") or 0)
    if deaths:
        return _say(say.HARM["deaths"] if deaths > 1 else say.HARM["death"], language, n=deaths)
    if injuries:
        return _say(say.HARM["injuries"] if injuries > 1 else say.HARM["injury"], language, n=injuries)
    return None


def freshness(result: ToolResult, language: Language) -> str | None:
    """ "Recall data checked 2026-12-02; newest recall 2026-08-13." (spec 4b.10), None without a date."""
    as_of = (result.facts.get("data_as_of") or "")[:10]
    if not as_of:
        return None
    newest = result.facts.get("newest_recall") or _say(say.NEWEST_UNKNOWN, language)
    return _say(say.FRESHNESS, language, as_of=as_of, newest=newest)


def _recall_findings(result: ToolResult, check: Check, asked: _Asked, language: Language) -> Finding:
    matches = [m for m in result.facts.get("matches") or [] if isinstance(m, dict)]
    detail = localized_detail(check, result, language)
    if check.status == "warn" and matches and result.facts.get("maker_only"):
        return _maker_finding(result, check, matches, language)
    if check.status in ("fail", "warn") and matches:
        top = matches[0]
        title = short_title(top.get("title") or top.get("recall_number") or "")
        # A title is quoted as published; in a Spanish sentence, between quotation marks.
        values = {"title": f"“{title}”" if language == "es" else title,
                  "date": top.get("date") or _say(say.NO_DATE, language), "harm": harm(top, language)}
        exact = check.status == "fail"
        if values["harm"]:
            kind: FindingKind = "serious_recall"
            key = "serious_exact" if exact else "serious_name"
        else:
            kind = "recall" if exact else "possible_recall"
            key = "exact" if exact else "name"
        answer: FindingAnswer = ("yes" if asked.form == "recall" else "no") if kind != "possible_recall" else "caution"
        lead = _say(say.RECALL_LEADS[f"{key}_{asked.form}"], language, **values)
        statement = _say(say.RECALL_LEADS[f"{key}_statement"], language, **values)
        return _finding(kind, answer, check, result, lead, statement)
    if check.status == "pass":
        what = ", ".join(result.facts.get("searched") or [])
        as_of = (result.facts.get("data_as_of") or "")[:10]
        newest = result.facts.get("newest_recall") or _say(say.NEWEST_UNKNOWN, language)
        full = _say(say.NO_RECALL_MATCHES, language, what=what, as_of=as_of, newest=newest)
        short = _say(say.NO_RECALL_MATCHES_SHORT, language, what=what)
        lead = full if asked.form == "recall" else f"{_say(say.NOTHING_AGAINST, language)} {short}."
        return _finding("pass", "none", check, result, lead, full)
    return _finding("unchecked", "unknown", check, result, *(_recall_unknown(result, detail, language),) * 2)


def _maker_finding(result: ToolResult, check: Check, matches: list[dict[str, Any]], language: Language) -> Finding:
    """A maker's name alone: which product? The most serious of its recalls is named, never "yes" or "no"."""
    worst_first = max(matches, key=lambda m: (int(m.get("deaths") or 0), int(m.get("serious_injuries") or 0)))
    title = short_title(worst_first.get("title") or worst_first.get("recall_number") or "")
    hurt = harm(worst_first, language)
    lead = _say(say.MAKER_ONLY, language, name=result.facts["maker_only"],
                which=_say(say.MAKER_WORST, language, harm=hurt) if hurt else _say(say.MAKER_AMONG, language),
                title=f"“{title}”" if language == "es" else title,
                date=worst_first.get("date") or _say(say.NO_DATE, language))
    return _finding("possible_recall", "caution", check, result, lead, first_sentence_of(lead))


def _recall_unknown(result: ToolResult, detail: str, language: Language) -> str:
    facts = result.facts
    if facts.get("records_loaded") == 0:
        return _say(text.RECALL["empty"], language)
    if facts.get("stale") and facts.get("data_as_of"):
        return _say(text.RECALL["stale"], language, as_of=facts["data_as_of"][:10])
    if facts.get("code_problem"):
        return detail
    searched = facts.get("searched") or []
    if not searched and facts.get("kind_only"):
        return _say(say.KIND_ONLY, language, name=facts["kind_only"])
    if not searched:
        return _say(say.WHICH_PRODUCT, language)
    count = facts.get("recalls_loaded") or facts.get("records_loaded") or 0
    return _say(say.NAME_NOT_FOUND, language, count=f"{count:,}", what=", ".join(searched))


# --- the pure checks ---


def _age_finding(check: Check, result: ToolResult, asked: _Asked, language: Language) -> Finding:
    detail = localized_detail(check, result, language)
    statement = first_sentence_of(detail)
    if check.status == "fail" or (check.status == "warn" and (
            check.name in _UNSUITABLE_WARNINGS or (check.name in _SLEEP_WARNINGS and asked.sleep))):
        return _finding("unsuitable", "no", check, result, _opened(say.NO, detail, language), statement)
    return _graded(check, result, detail, language)


def _graded(check: Check, result: ToolResult, detail: str, language: Language) -> Finding:
    """A warning, an open check or a pass, said the common way."""
    statement = first_sentence_of(detail)
    if check.status == "warn":
        folded = statement.lower()
        lead = statement if folded.startswith(say.CAUTION_OPENINGS) else _opened(say.CAUTION, detail, language)
        return _finding("caution", "caution", check, result, lead, statement)
    # What was found, or not, is said whole: "Contains honey ... Your child is 14 months, past that age."
    if check.status == "unknown":
        return _finding("unchecked", "unknown", check, result, _opened(say.UNCHECKED, detail, language), detail)
    return _finding("pass", "none", check, result, _opened(say.NOTHING_AGAINST, detail, language), detail)


def _allergen_finding(check: Check, result: ToolResult, language: Language) -> Finding:
    detail = localized_detail(check, result, language)
    key = check.name.removeprefix("allergen_")
    if key in (result.facts.get("asked") or []) and check.status in ("warn", "pass"):
        # An allergen the question asks about, which no allergy names: an answer, not a danger.
        statement = first_sentence_of(detail)
        lead = _opened(say.YES, detail, language) if check.status == "warn" else statement
        return _finding("info", "yes" if check.status == "warn" else "none", check, result, lead, statement)
    if check.status == "fail" and key in ALLERGEN_NAMES:
        name = _say(ALLERGEN_NAMES[key], language)
        found = join_names(dict.fromkeys(m["ingredient"] for m in result.facts.get("matches") or []
                                         if m.get("allergen") == key and m.get("status") == "fail"), language)
        source_says = say.ALLERGY_FROM_MESSAGE if key in (result.facts.get("from_message") or []) \
            else say.ALLERGY_FROM_PROFILE
        source = _say(source_says, language, allergy=name)
        lead = _say(say.ALLERGEN_FAIL, language, allergen=name, found=found, source=source)
        statement = _say(say.ALLERGEN_FAIL_STATEMENT, language, allergen=name, found=found, source=source)
        return _finding("allergen", "no", check, result, lead, statement)
    if check.status == "fail":
        return _finding("allergen", "no", check, result, _opened(say.NO, detail, language), first_sentence_of(detail))
    if check.status == "warn":
        return _finding("allergen", "caution", check, result, _opened(say.CAUTION, detail, language),
                        first_sentence_of(detail))
    return _graded(check, result, detail, language)


def _pregnancy_finding(check: Check, result: ToolResult, language: Language) -> Finding:
    detail = localized_detail(check, result, language)
    if check.name == "breastfeeding":
        # Said as it is: "we check pregnancy, not breastfeeding", not "we could not check everything".
        return _finding("unchecked", "unknown", check, result, first_sentence_of(detail), first_sentence_of(detail))
    if check.status == "fail":
        return _finding("pregnancy", "no", check, result, _opened(say.NO, detail, language), first_sentence_of(detail))
    return _graded(check, result, detail, language)


def _tool_failed(result: ToolResult, language: Language) -> Finding:
    lead = _say(text.missing_tool_lead(result.name), language)
    check = result.checks[0] if result.checks else Check(name=result.name, status="unknown", detail=lead)
    return _finding("unchecked", "unknown", check, result, lead, _say(text.tool_failed(result.name), language))


# --- the intent's own answer: ingredients, alternatives ---


def _alternatives_lead(result: ToolResult, language: Language) -> str:
    """What to choose instead: the standard to look for, never a product called safe."""
    if result.facts.get("look_for"):
        return _say(text.ALTERNATIVES["standard"], language, standard=result.facts["look_for"])
    if "category" in result.facts and not result.facts.get("category"):
        return _say(text.ALTERNATIVES["no_category"], language)
    return _say(text.ALTERNATIVES["none"], language)


def _intent_answer(result: ToolResult, asked: _Asked, language: Language) -> Finding | None:
    if result.name == "ingredient_info" and asked.intent == "ingredient_info":
        status = worst(c.status for c in result.checks) if result.checks else "unknown"
        lead = _say(text.LEADS["ingredient_info"][status], language)
        check = Check(name="ingredients", status=status, detail=lead)
        return _finding("info", "none", check, result, lead, lead)
    if result.name == "alternatives" and asked.intent == "alternative_products":
        lead = _alternatives_lead(result, language)
        return _finding("info", "none", Check(name="alternatives", status="pass", detail=lead), result, lead, lead)
    return None


# --- ranking ---


def _of_result(result: ToolResult, asked: _Asked, language: Language) -> Iterable[Finding]:
    if not result.ok:
        yield _tool_failed(result, language)
        return
    own = _intent_answer(result, asked, language)
    if own is not None:
        yield own
    for check in result.checks:
        if result.name == "recall_lookup":
            yield _recall_findings(result, check, asked, language)
            problem = result.facts.get("code_problem_es" if language == "es" else "code_problem")
            if problem and check.status in ("fail", "warn"):
                # Found by name although the code looks mistyped: the parent should still re-scan (spec 4b.4).
                yield Finding(kind="unchecked", answer="unknown", status="unknown", lead=problem, statement=problem,
                              tool=result.name, check="code")
        elif result.name == "age_check":
            if check.name in _ONLY_ABOUT_SLEEP and not asked.sleep:
                continue  # "swings are not for routine sleep" answers a sleep question only
            yield _age_finding(check, result, asked, language)
        elif result.name == "allergen_check":
            yield _allergen_finding(check, result, language)
        elif result.name == "pregnancy_check":
            yield _pregnancy_finding(check, result, language)
        elif result.name == "ingredient_info" and check.status != "warn":
            # An ingredient "worth a closer look" is told in the reasons, not as a warning about the product.
            yield _graded(check, result, localized_detail(check, result, language), language)


def _name_alone(product: Product | None) -> bool:
    return product is not None and bool(product.name) and not (
        product.brand or product.model or product.upc or product.category or product.ingredients
        or product.age_min_months is not None)


def rank(request: SynthesisRequest) -> list[Finding]:
    """Every finding of the request's tool results, most serious first (see the module docstring)."""
    asked = _asked(request)
    language = request.language
    found = [f for result in request.tool_results for f in _of_result(result, asked, language)]

    # A product known by its name alone (typed in the question, or a card with nothing else) has no label we
    # read: unless the parent gave the child's age, that its label "does not state a minimum age" comes after
    # what else could not be checked ("we cannot tell from the name alone: scan its barcode").
    named_only = _name_alone(request.product) and request.stated.child_age is None

    def order(item: tuple[int, Finding]) -> tuple[int, int, int, int, int, int, int]:
        index, finding = item
        answers_recall_question = 0 if not asked.recall_only or finding.tool == "recall_lookup" else 1
        asked_about = 0 if finding.tool in asked.tools else 1
        unread_label = 1 if named_only and finding.kind == "unchecked" and finding.tool == "age_check" else 0
        tool = TOOL_NAMES.index(finding.tool) if finding.tool in TOOL_NAMES else len(TOOL_NAMES)
        return (answers_recall_question, FINDING_KINDS.index(finding.kind), -STATUS_SEVERITY[finding.status],
                unread_label, asked_about, tool, index)

    ranked = [finding for _, finding in sorted(enumerate(found), key=order)]
    return [f.model_copy(update={"asked": True}) if f.tool in asked.tools else f for f in ranked]


def findings_of(request: SynthesisRequest) -> list[Finding]:
    """The request's ranked findings: as the pipeline computed them, or ranked now for a bare request."""
    return list(request.findings) if request.findings else rank(request)
