"""Ranking findings once, most serious first, and how each answers the question (spec 4b.7)."""

from __future__ import annotations

import datetime as dt

import pytest

from babyshield_chat.chat.findings import findings_of, first_sentence_of, freshness, harm, lowered, rank
from babyshield_chat.chat.model import Check, ChildAge, Finding, Pregnancy, Product, Profile, SynthesisRequest, \
    ToolResult
from babyshield_chat.chat.tools.age import check_age
from babyshield_chat.chat.tools.allergens import check_allergens
from babyshield_chat.chat.tools.pregnancy import check_pregnancy

TODAY = dt.date(2026, 3, 15)
RNP = {"id": "CPSC-2023/rnp", "recall_number": "2023/Fisher-Price-Reannounces-Recall", "title":
       "All models of Rock 'n Play Sleepers", "date": "2023-01-09", "agency": "CPSC", "deaths": 8,
       "serious_injuries": 0}
SHEETS = {"id": "CPSC-13115", "recall_number": "13115", "title": "4moms breeze Playard Sheets",
          "date": "2013-02-06", "agency": "CPSC", "deaths": 0, "serious_injuries": 0}


def recall(status: str, *matches: dict, code_problem: str | None = None) -> ToolResult:
    return ToolResult(
        name="recall_lookup", ok=True,
        checks=[Check(name="recall", status=status, detail=f"Recall check {status}.")],
        facts={"matches": list(matches), "data_as_of": "2026-03-14T02:00:00+00:00", "newest_recall": "2026-02-20",
               "searched": ["UPC 817980011137"], "recalls_loaded": 3000, "records_loaded": 3200,
               "code_problem": code_problem, "code_problem_es": code_problem},
    )


def request(question: str, *results: ToolResult, intent: str = "unclear_intent", concerns=(),
            language: str = "en") -> SynthesisRequest:
    return SynthesisRequest(question=question, intent=intent, tool_results=list(results), concerns=list(concerns),
                            language=language)


def kinds(findings: list[Finding]) -> list[str]:
    return [f.kind for f in findings]


def walker_age(months: int | None) -> ToolResult:
    stated = ChildAge(months=months, source="message") if months is not None else None
    return check_age(Product(name="Baby walker", age_min_months=6), None, TODAY, stated=stated)


def test_a_recall_after_deaths_outranks_everything_and_tells_a_user_to_stop() -> None:
    found = rank(request("can my baby nap in this?", walker_age(3), recall("warn", RNP)))

    assert found[0].kind == "serious_recall" and found[0].answer == "no"
    assert found[0].lead == ("No, stop using it: there is a recall after 8 reported deaths (All models of Rock 'n Play "
                             "Sleepers, 2023-01-09).")


def test_a_recall_question_is_answered_yes_with_the_harm_and_what_to_do() -> None:
    [top, *_] = rank(request("is the rock n play recalled?", recall("warn", RNP), concerns=["recall_details"]))

    assert top.lead.startswith("Yes, there is a recall after 8 reported deaths: All models of Rock 'n Play")
    assert "stop using it if yours is one of them" in top.lead


def test_a_recall_matched_by_code_outranks_not_suitable_and_says_stop_to_a_use_question() -> None:
    found = rank(request("can my 3 month old use this?", walker_age(3), recall("fail", SHEETS)))

    assert kinds(found)[:2] == ["recall", "unsuitable"]
    assert found[0].lead == "No, stop using it: it was recalled (4moms breeze Playard Sheets, 2013-02-06)."


def test_an_explained_scan_says_stop_using_it() -> None:
    [top, *_] = rank(request("Explain this product's safety checks.", recall("fail", SHEETS), intent="explain_scan"))

    assert top.lead.startswith("Stop using it: it was recalled")


def test_younger_than_labelled_is_a_plain_no_saying_who_gave_the_age() -> None:
    [top, *_] = rank(request("Can my 3 month old use this?", walker_age(3)))

    assert top.kind == "unsuitable" and top.answer == "no"
    assert top.lead == "No: labelled for 6 months and up; you said your baby is 3 months old."


def test_walkers_are_unsuitable_at_any_age() -> None:
    [top, *_] = rank(request("my 8 month old - is this walker ok?", walker_age(8)))

    assert top.kind == "unsuitable" and top.check == "walker"
    assert top.lead.startswith("No: the AAP advises against baby walkers")


@pytest.mark.parametrize(("question", "kind"), [("is this lounger ok for naps?", "unsuitable"),
                                                ("is this lounger ok for tummy time?", "caution")])
def test_a_lounger_is_unsuitable_when_the_question_is_about_sleep(question, kind) -> None:
    lounger = check_age(Product(name="Baby lounger"), None, TODAY)

    found = rank(request(question, lounger))

    assert next(f for f in found if f.check == "not_for_sleep").kind == kind
    assert "can be used" not in found[0].lead


def test_the_order_of_kinds_follows_the_spec() -> None:
    allergen = check_allergens(Product(name="Bars", ingredients=["peanuts", "caffeine"]), Profile(allergies=["peanut"]))
    pregnancy = check_pregnancy(Product(name="Retinol night serum", ingredients=["retinol"]),
                                Profile(pregnancy_trimester=2))
    sling = check_age(Product(name="Ring sling"), None, TODAY, stated=ChildAge(months=1, source="message"))

    found = rank(request("is this ok?", recall("unknown"), sling, recall("warn", SHEETS), pregnancy, allergen))

    assert kinds(found) == ["allergen", "pregnancy", "caution", "possible_recall", "unchecked", "unchecked"]


def test_a_product_known_by_name_alone_leads_with_the_name_not_its_unread_label() -> None:
    # "is the snuggle me organic safe for sleep?": no card, only the name typed; nothing was read off a label, so
    # "the product does not state a minimum age" must not come before "scan its barcode".
    typed = Product(name="snuggle me organic")
    age = check_age(typed, None, TODAY)
    assert age.checks[0].status == "unknown"
    question = "is the snuggle me organic safe for sleep?"

    asked = ["age_appropriateness"]  # the sleep rules are the age check's: it is what was asked about
    found = rank(request(question, age, recall("unknown"), concerns=asked).model_copy(update={"product": typed}))
    assert found[0].tool == "recall_lookup" and found[1].tool == "age_check"

    # A scanned card with more than a name keeps the check asked about first.
    scanned = Product(name="Snuggle Me Organic", brand="Snuggle Me")
    found = rank(request(question, check_age(scanned, None, TODAY), recall("unknown"), concerns=asked).model_copy(
        update={"product": scanned}))
    assert found[0].tool == "age_check"


def test_a_recall_question_is_answered_by_the_recall_look_up_before_other_findings() -> None:
    crib = check_age(Product(name="Drop-side crib"), None, TODAY)

    found = rank(request("is my drop side crib recalled?", crib, recall("unknown"), concerns=["recall_details"]))

    assert found[0].tool == "recall_lookup"
    assert not found[0].lead.startswith("No")
    assert found[1].kind == "unsuitable"


def test_a_name_match_is_a_lead_to_compare_never_yes() -> None:
    [top] = rank(request("is it recalled?", recall("warn", SHEETS), concerns=["recall_details"]))

    assert top.kind == "possible_recall" and top.answer == "caution"
    assert top.lead.startswith("There is a recall of 4moms breeze Playard Sheets (2013-02-06); compare the model")


def test_a_mistyped_code_found_by_name_still_tells_to_rescan() -> None:
    problem = "The code 817980011138 looks mistyped (...): please re-scan the barcode or type it again."

    found = rank(request("is it recalled?", recall("warn", SHEETS, code_problem=problem)))

    assert [(f.kind, f.check) for f in found] == [("possible_recall", "recall"), ("unchecked", "code")]
    assert found[1].lead == problem


def test_an_allergen_asked_about_is_answered_yes_without_being_a_danger() -> None:
    result = check_allergens(Product(name="Bars", ingredients=["oats", "soy protein isolate"]), Profile(),
                             asked=["soy"])

    [top] = rank(request("does it have soy?", result))

    assert (top.kind, top.answer) == ("info", "yes")
    assert top.lead == "Yes, it contains soy: soy protein isolate."


def test_an_allergy_lead_says_where_the_allergy_came_from() -> None:
    product = Product(name="Cookies", ingredients=["wheat flour", "butter"])

    from_message = rank(request("x", check_allergens(product, Profile(), stated=["dairy"])))[0]
    from_profile = rank(request("x", check_allergens(product, Profile(allergies=["milk"]))))[0]

    assert from_message.lead == "No: it contains milk (butter), and you said your child is allergic to milk."
    assert from_profile.lead == "No: it contains milk (butter), and your child's profile lists an allergy to milk."


def test_a_stated_pregnancy_week_makes_nsaids_a_no() -> None:
    result = check_pregnancy(Product(name="Ibuprofen", ingredients=["ibuprofen"]), Profile(),
                             Pregnancy(trimester=3, weeks=30, source="message"))

    [top] = rank(request("I'm 30 weeks pregnant, is this ok?", result))

    assert top.kind == "pregnancy" and top.lead.startswith("No: avoid in pregnancy: ibuprofen")


def test_when_every_check_passed_the_lead_says_what_was_found_and_never_safe() -> None:
    age = check_age(Product(name="Cups", age_min_months=12), None, TODAY, stated=ChildAge(months=24, source="message"))

    found = rank(request("is this ok for my 2 year old?", age, recall("pass"), concerns=["age_appropriateness"]))

    assert kinds(found) == ["pass", "pass"]
    assert found[0].lead == ("Nothing in the checks we ran speaks against it: labelled for 12 months and up; you said "
                             "your child is 2 years old.")


def test_a_recall_question_with_no_match_says_what_was_looked_up_and_how_fresh() -> None:
    [top] = rank(request("is it recalled?", recall("pass"), concerns=["recall_details"]))

    assert top.lead == ("No recall in our data matches UPC 817980011137 (recall data checked 2026-03-14; newest recall "
                        "2026-02-20).")


def test_spanish_leads_quote_the_title_and_say_no_plainly() -> None:
    [top, *_] = rank(request("¿Puedo usarlo?", recall("fail", SHEETS), language="es"))

    assert top.lead == "No, deje de usarlo: lo retiraron del mercado (“4moms breeze Playard Sheets”, 2013-02-06)."


def test_a_tool_that_failed_is_a_finding_of_what_could_not_be_checked() -> None:
    [top] = rank(request("is it recalled?", ToolResult(name="recall_lookup", ok=False, error="timeout")))

    assert (top.kind, top.lead) == ("unchecked", "We could not check recalls right now.")


def test_findings_already_ranked_are_used_as_they_are() -> None:
    given = Finding(kind="pass", answer="none", status="pass", lead="L.", statement="S.")
    req = request("x", recall("fail", SHEETS)).model_copy(update={"findings": [given]})

    assert findings_of(req) == [given]


def test_harm_and_freshness_are_said_in_both_languages() -> None:
    assert harm({"deaths": 1}, "en") == "a reported death"
    assert harm({"serious_injuries": 3}, "es") == "3 lesiones graves notificadas"
    assert harm({"deaths": 0, "serious_injuries": 0}, "en") is None
    assert freshness(recall("pass"), "en") == "Recall data checked 2026-03-14; newest recall 2026-02-20."
    assert freshness(recall("pass").model_copy(update={"facts": {}}), "en") is None


def test_sentence_helpers() -> None:
    assert first_sentence_of("Labelled for 3+ (16 CFR 1501. 2). Second one.") == "Labelled for 3+ (16 CFR 1501. 2)."
    assert lowered("The AAP advises") == "the AAP advises"
    assert lowered("AAP advises") == "AAP advises"
