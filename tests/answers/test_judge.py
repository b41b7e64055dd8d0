"""Judging an answer: the first sentence, the invariants every answer keeps, and each kind of expectation."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.answers.cases import Case
from bench.answers.judge import Reply, RunFacts, calls_safe, first_sentence, judge

FACTS = RunFacts(checked_on=dt.date(2026, 12, 2), newest_recall=dt.date(2026, 8, 13))


def make_case(expect: dict, category: str = "upc_model") -> Case:
    return Case.model_validate({
        "id": "case", "category": category, "request": {"message": "Is this recalled?"},
        "expect": expect, "reason": "a reason long enough to be a sentence",
    })


def reply(summary: str = "Yes, it appears in a recall.", *, checks=(), evidence=(), reasons=(), tools=(),
          intent: str = "recall_details", emergency=None, suggested=("Is it right for my child's age?",),
          disclaimer: str = "Not medical advice.", status: int = 200) -> Reply:
    body = {
        "intent": intent,
        "answer": {
            "summary": summary, "reasons": list(reasons), "checks": list(checks), "flags": [],
            "evidence": list(evidence), "suggested_questions": list(suggested), "disclaimer": disclaimer,
            "emergency": emergency,
        },
        "tools": [{"name": name, "ok": True, "latency_ms": 1, "error": None} for name in tools],
        "synthesizer": "offline",
    }
    return Reply(status, body)


def kinds(case: Case, answer: Reply) -> list[str]:
    return [failure.kind for failure in judge(case, answer, FACTS)]


RNP_2019 = {"type": "recall", "id": "CPSC-2019/Fisher-Price-Recalls-Rock-n-Play-Sleepers-Due-to-Reports-of-Deaths",
            "title": "All Models of Rock 'n Play Sleeper", "url": None, "date": "2019-04-12"}
RNP_MOLD = {"type": "recall", "id": "CPSC-13087", "title": "Fisher-Price Newborn Rock 'n Play Sleeper",
            "url": None, "date": "2013-01-08"}
GUIDELINE = {"type": "guideline", "id": "aap-safe-sleep-2022", "title": "AAP safe sleep", "url": None, "date": None}


# --- the first sentence ---


@pytest.mark.parametrize(
    ("summary", "first"),
    [
        ("Yes, it was recalled. Stop using it.", "Yes, it was recalled."),
        ("It may be part of a recall: Abbott Similac 12.4oz. can, 20.6oz. plastic jar. 6 units per case. More.",
         "It may be part of a recall: Abbott Similac 12.4oz. can, 20.6oz. plastic jar. 6 units per case."),
        ("Yes: Dr. Rico Perez Super Kids Colostrum was recalled. Milk is not declared.",
         "Yes: Dr. Rico Perez Super Kids Colostrum was recalled."),
        ("Yes (CPSC recall 13115. Play-yard sheets) was found. Next.", "Yes (CPSC recall 13115. Play-yard sheets) was found."),
        ("Sí, lo han retirado. ¿Qué hago?", "Sí, lo han retirado."),
        ("No single stop here", "No single stop here"),
        ("Yes, in a recall: Formula… (2022-02-17). Stop using it.", "Yes, in a recall: Formula… (2022-02-17)."),
    ],
)
def test_the_first_sentence_ends_at_a_real_sentence_end(summary, first):
    assert first_sentence(summary) == first


# --- invariants ---


def test_a_double_full_stop_fails_every_case_but_an_ellipsis_does_not():
    case = make_case({"intent": "recall_details"})
    assert "double_period" in kinds(case, reply("Yes, it appears in a recall.."))
    assert "double_period" in kinds(case, reply("Yes.", reasons=["Hazard: choking.."]))
    assert "double_period" not in kinds(case, reply("Yes, it appears in a recall… and more..."))


@pytest.mark.parametrize(
    "summary",
    ["It is safe for your baby.", "Yes, it's totally safe.", "This is safe to use for naps.", "Sí, es seguro."],
)
def test_calling_a_product_safe_fails_whatever_the_case(summary):
    assert "calls_safe" in kinds(make_case({"intent": "recall_details"}), reply(summary))


@pytest.mark.parametrize(
    "summary",
    [
        "No: loungers are not safe for sleep.",
        "We cannot say it is safe.",
        "A stationary activity centre is a safer choice.",
        "Inclined sleepers are banned under the Safe Sleep for Babies Act.",
        "No, un centro de actividades fijo es más seguro.",
        "No son seguros para dormir.",
    ],
)
def test_negated_comparative_and_named_uses_of_safe_are_not_claims(summary):
    assert calls_safe(summary) is None


def test_no_problems_found_fails_only_while_a_check_is_open():
    case = make_case({"intent": "recall_details"})
    passed = [{"name": "recall", "status": "pass", "detail": "none"}]
    unknown = [{"name": "age", "status": "unknown", "detail": "no age"}]
    assert "no_problems_while_open" in kinds(case, reply("No problems found in the checks we ran.",
                                                         checks=passed + unknown))
    assert "no_problems_while_open" not in kinds(case, reply("No problems found in the checks we ran.", checks=passed))


def test_it_can_be_used_fails_while_a_check_fails():
    case = make_case({"intent": "recall_details"})
    failed = [{"name": "age_minimum", "status": "fail", "detail": "too young"}]
    assert "can_be_used_while_fail" in kinds(case, reply("It can be used, with care.", checks=failed))
    assert "can_be_used_while_fail" in kinds(case, reply("Se puede usar, con precaución.", checks=failed))


def test_an_empty_hazard_or_remedy_line_fails():
    case = make_case({"intent": "recall_details"})
    assert "empty_field" in kinds(case, reply("Yes.", reasons=["Sheets (CPSC 13115). Hazard: x. Remedy: not given."]))
    assert "empty_field" in kinds(case, reply("Sí.", reasons=["Sábanas. Solución: no indicado."]))


def test_an_error_status_is_one_failure_naming_the_error():
    failures = judge(make_case({"intent": "recall_details"}),
                     Reply(400, {"error": {"code": "invalid_request", "message": "bad upc"}}), FACTS)
    assert [f.kind for f in failures] == ["http_ok"] and "invalid_request" in failures[0].message


# --- expectations ---


def test_first_sentence_expectations_read_only_the_first_sentence():
    case = make_case({"first_starts": ["yes\\b"], "first_has": ["rock ?'?n'? ?play"], "first_lacks": ["mold"]})
    assert kinds(case, reply("Yes: every Rock 'n Play was recalled in 2019. The 2013 mold recall too.")) == []
    assert kinds(case, reply("It may be part of a recall: Rock 'n Play (mold).")) == ["first_starts", "first_lacks"]
    assert kinds(case, reply("Yes, a recall. It is the Rock 'n Play.")) == ["first_has"]


def test_patterns_match_folded_text():
    case = make_case({"first_has": ["retirada del mercado"], "first_starts": ["si\\b"]})
    assert kinds(case, reply("SÍ, aparece en una RETIRADA del mercado.")) == []


def test_intent_emergency_and_call_to_action():
    case = make_case({"intent": "emergency", "emergency": "amber", "call_to_action_has": ["pediatrician"],
                      "call_to_action_lacks": ["911"]}, category="emergencies")
    amber = {"level": "amber", "reason": "fever", "call_to_action": "Call your pediatrician now."}
    assert kinds(case, reply("This needs urgent attention.", intent="emergency", emergency=amber)) == []
    red = {"level": "red", "reason": "fever", "call_to_action": "Call 911 now."}
    assert kinds(case, reply("Call now.", intent="emergency", emergency=red)) == [
        "emergency", "call_to_action_has", "call_to_action_lacks"]
    assert kinds(case, reply("Fevers are common.", intent="age_appropriateness"))[:2] == ["intent", "emergency"]


def test_check_expectations_name_what_was_found():
    case = make_case({"checks": {"recall": ["fail"]}, "some_check": ["fail"], "no_check_status": ["pass"]})
    failures = judge(case, reply(checks=[{"name": "recall", "status": "warn", "detail": "by name"},
                                         {"name": "age_minimum", "status": "pass", "detail": "ok"}]), FACTS)
    assert [f.kind for f in failures] == ["checks", "some_check", "no_check_status"]
    assert "is warn, expected fail" in failures[0].message and "recall=warn" in failures[1].message
    missing = judge(make_case({"checks": {"allergen.*": ["pass"]}}), reply(checks=[]), FACTS)
    assert "no check named" in missing[0].message


def test_tools_that_must_or_must_not_run():
    case = make_case({"tools_include": ["recall_lookup", "age_check"], "tools_absent": ["alternatives"]})
    assert kinds(case, reply(tools=["recall_lookup", "age_check"])) == []
    assert kinds(case, reply(tools=["recall_lookup", "alternatives"])) == ["tools_include", "tools_absent"]


def test_evidence_first_reads_the_first_recall_entry_only():
    case = make_case({"evidence_first": "2019-04-12|2023-01-09"})
    assert kinds(case, reply(evidence=[GUIDELINE, RNP_2019, RNP_MOLD])) == []
    failures = judge(case, reply(evidence=[RNP_MOLD, RNP_2019]), FACTS)
    assert [f.kind for f in failures] == ["evidence_first"] and "CPSC-13087" in failures[0].message
    assert "no recall evidence" in judge(case, reply(evidence=[GUIDELINE]), FACTS)[0].message


def test_evidence_once_counts_entries_of_one_recall():
    case = make_case({"evidence_once": ["rock ?'?n'? ?play"], "evidence_lacks": ["play gym"]})
    assert kinds(case, reply(evidence=[RNP_2019])) == []
    assert kinds(case, reply(evidence=[RNP_2019, RNP_MOLD])) == ["evidence_once"]
    gym = {**RNP_MOLD, "id": "CPSC-84058", "title": "Fisher-Price Play Gym"}
    assert kinds(case, reply(evidence=[RNP_2019, gym])) == ["evidence_lacks"]


def test_freshness_needs_both_the_check_date_and_the_newest_recall():
    case = make_case({"freshness": True})
    both = "Recall data checked 2026-12-02; newest recall 2026-08-13."
    assert kinds(case, reply("Yes.", reasons=[both])) == []
    assert kinds(case, reply("Yes (data checked December 2, 2026; newest recall 13 August 2026).")) == []
    assert kinds(case, reply("Sí (datos del 2 de diciembre de 2026; la más reciente del 13 de agosto de 2026).")) == []
    only_import = judge(case, reply("Yes (recall data updated 2026-12-02)."), FACTS)
    assert [f.message for f in only_import] == ["does not say newest recall 2026-08-13"]


def test_a_spanish_answer_may_quote_data_but_not_speak_english():
    case = make_case({"language": "es"}, category="spanish")
    quoted = reply("Sí, aparece en una retirada: Thorley Industries 4moms breeze Cotton Jersey Playard Sheets.",
                   reasons=["Sábanas (CPSC 13115). Peligro: the sheets can pose an entrapment hazard."],
                   suggested=["¿Qué hago con el producto retirado?"], disclaimer="No es consejo médico.",
                   evidence=[{"type": "recall", "id": "CPSC-13115", "url": None, "date": "2013-02-06",
                              "title": "Thorley Industries 4moms breeze Cotton Jersey Playard Sheets"}])
    assert kinds(case, quoted) == []
    english = judge(case, reply("Sí.", disclaimer="No es consejo médico.", suggested=[], checks=[{"name": "recall", "status": "fail",
                                                "detail": "Recalled: CPSC 13115, matched by upc."}]), FACTS)
    assert [f.kind for f in english] == ["language"] and "recalled" in english[0].message


def test_suggested_questions_when_asked_for():
    case = make_case({"suggestions": True}, category="small_talk")
    assert kinds(case, reply("I can check recalls.", suggested=[])) == ["suggestions"]
