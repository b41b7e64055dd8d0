"""Tests for the deterministic (offline and fallback) answer writer."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from babyshield_chat.chat.model import (
    Check,
    Evidence,
    Product,
    Profile,
    SynthesisRequest,
    ToolResult,
)
from babyshield_chat.chat.offline_writer import DEFAULT_MAX_REASONS, OfflineWriter, compose
from babyshield_chat.vocabulary import FALLBACK_REASONS
from babyshield_chat.chat.tools.allergens import check_allergens
from babyshield_chat.chat.tools.ingredients import ingredient_info

STATUSES = ("pass", "warn", "fail", "unknown")
AS_OF = dt.datetime(2026, 3, 14, 2, 0, tzinfo=dt.timezone.utc)
SAFE_CLAIM = re.compile(r"\b(?:safe|seguro|segura|no problems|sin problemas|ok|okay|fine)\b", re.IGNORECASE)
NOTHING_AGAINST = "Nothing in the checks we ran speaks against it"

SHEETS = Product(name="4moms breeze playard sheet", upc="817980011137")
SHEETS_RECALL = Evidence(
    type="recall",
    id="CPSC-13115",
    title="Thorley Industries 4moms breeze Cotton Jersey Playard Sheets",
    url="http://www.cpsc.gov/en/Recalls/2013/Play-Yard-Sheets-Recalled-by-4moms/",
    date="2013-02-06",
)
SHEETS_MATCH = {
    "recall_number": "13115",
    "date": "2013-02-06",
    "title": "Thorley Industries 4moms breeze Cotton Jersey Playard Sheets",
    "hazard": "Entrapment",
    "remedy": "Refund",
    "url": SHEETS_RECALL.url,
    "agency": "CPSC",
    "deaths": 0,
    "serious_injuries": 0,
}


def recall_result(
    status: str,
    *,
    matches: list[dict] | None = None,
    match_kind: str | None = None,
    stale: bool = False,
    records: int = 4_000,
    as_of: dt.datetime | None = AS_OF,
) -> ToolResult:
    return ToolResult(
        name="recall_lookup",
        ok=True,
        checks=[Check(name="recall", status=status, detail=f"Recall check {status}.")],
        evidence=[SHEETS_RECALL] if matches else [],
        facts={
            "matches": matches or [],
            "match_kind": match_kind,
            "data_as_of": as_of.isoformat() if as_of else None,
            "newest_recall": "2026-02-20",
            "stale": stale,
            "records_loaded": records,
            "recalls_loaded": records,
            "searched": ["UPC 817980011137"],
        },
        data_as_of=as_of,
    )


def tool(name: str, status: str, ok: bool = True) -> ToolResult:
    if not ok:
        return ToolResult(name=name, ok=False, error="timeout")
    return ToolResult(
        name=name, ok=True, checks=[Check(name=f"{name}_check", status=status, detail=f"Detail of {name}.")]
    )


def request(intent: str, *results: ToolResult, locale: str | None = "en-US", question: str = "Is it recalled?"
            ) -> SynthesisRequest:
    language = "es" if locale and locale.startswith("es") else "en"
    return SynthesisRequest(
        question=question, intent=intent, locale=locale, tool_results=list(results), language=language,
        concerns=[intent] if intent in ("recall_details", "allergy_question", "age_appropriateness") else [],
    )


def claims(answer) -> str:
    return " ".join([answer.summary, *answer.reasons])


@pytest.mark.parametrize(
    ("first", "second"),
    list(itertools.product(STATUSES, STATUSES)),
)
@pytest.mark.parametrize("intent", ["explain_scan", "unclear_intent", "age_appropriateness", "allergy_question"])
def test_nothing_is_called_safe_whatever_the_checks_found(first: str, second: str, intent: str) -> None:
    answer = compose(request(intent, tool("age_check", first), tool("allergen_check", second),
                             question="Is it ok for my son?"))

    text = claims(answer)
    assert not SAFE_CLAIM.search(text), text
    assert answer.summary.startswith(NOTHING_AGAINST) == (first == second == "pass")


@pytest.mark.parametrize("status", STATUSES)
def test_a_failed_tool_rules_out_the_all_clear_and_is_named(status: str) -> None:
    answer = compose(request("explain_scan", tool("age_check", status), tool("recall_lookup", "", ok=False)))

    assert NOTHING_AGAINST not in claims(answer)
    assert "The check of recalls could not be completed" in claims(answer)
    assert "unchecked:recall_lookup" in answer.flags
    assert ("recall_lookup", "unknown") in {(c.name, c.status) for c in answer.checks}


@pytest.mark.parametrize("reason", FALLBACK_REASONS)
def test_fallback_says_what_could_not_be_checked_when_tools_failed(reason: str) -> None:
    answer = compose(
        request("allergy_question", tool("allergen_check", "pass"), tool("recall_lookup", "", ok=False)),
        fallback_reason=reason,
    )

    assert "Some checks could not be completed: recalls." in answer.reasons
    assert "shorter answer was built directly from the checks" in answer.reasons[-2]


@pytest.mark.parametrize("reason", FALLBACK_REASONS)
def test_fallback_without_failed_tools_only_explains_the_short_answer(reason: str) -> None:
    answer = compose(request("allergy_question", tool("allergen_check", "pass")), fallback_reason=reason)

    assert not any("could not be completed" in r for r in answer.reasons)
    assert "shorter answer" in answer.reasons[-1]


def test_fallback_in_spanish() -> None:
    answer = compose(
        request("recall_details", recall_result("pass"), tool("age_check", "", ok=False), locale="es-US"),
        fallback_reason="circuit_open",
    )

    assert answer.reasons[-1] == "Algunas comprobaciones no se pudieron completar: la edad recomendada."


class TestRecallAnswers:
    def test_match_answers_yes_with_the_recall_and_how_fresh_the_data_is(self) -> None:
        answer = compose(request("recall_details", recall_result("fail", matches=[SHEETS_MATCH], match_kind="upc")))

        assert answer.summary == "Yes, it was recalled: Thorley Industries 4moms breeze Cotton Jersey Playard Sheets " \
                                 "(2013-02-06)."
        assert answer.reasons[0].endswith("(CPSC recall 13115, 2013-02-06). Hazard: Entrapment. Remedy: Refund.")
        assert "Recall data checked 2026-03-14; newest recall 2026-02-20." in answer.reasons
        assert "recalled" in answer.flags
        assert answer.evidence == [SHEETS_RECALL]
        assert answer.suggested_questions[0] == "What should I do with the recalled product?"

    def test_a_use_question_about_a_recalled_product_is_told_to_stop(self) -> None:
        answer = compose(request("unclear_intent", recall_result("fail", matches=[SHEETS_MATCH], match_kind="upc"),
                                 question="can my baby sleep on these?"))

        assert answer.summary.startswith("No, stop using it: it was recalled (Thorley Industries")

    def test_a_recall_after_deaths_says_so_first(self) -> None:
        deadly = {**SHEETS_MATCH, "deaths": 8}

        answer = compose(request("recall_details", recall_result("warn", matches=[deadly], match_kind="name")))

        assert answer.summary.startswith("Yes, there is a recall after 8 reported deaths: Thorley Industries")
        assert "stop using it" in answer.summary

    def test_name_only_match_is_a_lead_to_compare_not_a_certainty(self) -> None:
        answer = compose(request("recall_details", recall_result("warn", matches=[SHEETS_MATCH], match_kind="name")))

        assert answer.summary.startswith("There is a recall of Thorley Industries 4moms breeze")
        assert "compare the model and lot numbers" in answer.summary
        assert not answer.summary.startswith("Yes")

    def test_possible_recall_is_flagged_apart_from_a_confirmed_one(self) -> None:
        answer = compose(request("recall_details", recall_result("warn", matches=[SHEETS_MATCH], match_kind="name")))

        assert "possible_recall" in answer.flags and "recalled" not in answer.flags

    def test_every_recall_is_in_the_reasons_once_with_its_source_number(self) -> None:
        second = {**SHEETS_MATCH, "recall_number": "2024/Some-Recall-Page-Slug", "title": "Other sheets"}

        answer = compose(
            request("recall_details", recall_result("fail", matches=[SHEETS_MATCH, second], match_kind="model"))
        )

        assert answer.reasons[1].startswith("Other sheets (CPSC, 2013-02-06).")
        assert "Slug" not in " ".join(answer.reasons)

    def test_no_match_in_fresh_data_says_what_was_looked_up_and_how_fresh(self) -> None:
        answer = compose(request("recall_details", recall_result("pass")))

        assert answer.summary == ("No recall in our data matches UPC 817980011137 (recall data checked 2026-03-14; "
                                  "newest recall 2026-02-20).")
        assert not SAFE_CLAIM.search(claims(answer))
        assert "recalled" not in answer.flags

    def test_stale_data_cannot_confirm_and_says_how_old_it_is(self) -> None:
        answer = compose(request("recall_details", recall_result("unknown", stale=True, as_of=dt.datetime(2025, 1, 2))))

        assert answer.summary.startswith("We cannot confirm whether it has been recalled")
        assert "2025-01-02" in answer.summary
        assert "recall_data_stale" in answer.flags and "unchecked:recall_lookup" in answer.flags
        assert any("recent recalls may be missing" in r for r in answer.reasons)

    def test_empty_recall_table_never_reads_as_no_recalls(self) -> None:
        answer = compose(request("recall_details", recall_result("unknown", records=0, as_of=None)))

        assert answer.summary == "We cannot confirm whether it has been recalled: no recall data is loaded yet."
        assert "No recall in our data" not in claims(answer)
        assert "recall_data_empty" in answer.flags
        assert "We do not know when the recall data was last updated." in answer.reasons

    def test_failed_recall_tool_says_recalls_could_not_be_checked(self) -> None:
        answer = compose(request("recall_details", tool("recall_lookup", "", ok=False)))

        assert answer.summary == "We could not check recalls right now."

    def test_spanish_recall_answer(self) -> None:
        answer = compose(request("recall_details", recall_result("pass"), locale="es-MX"))

        assert answer.summary.startswith("Ninguna retirada de nuestros datos coincide con UPC 817980011137")
        assert "Datos de retiradas comprobados el 2026-03-14; retirada más reciente: 2026-02-20." in answer.reasons

    def test_spanish_answer_quotes_the_recall_title_as_published(self) -> None:
        answer = compose(request("recall_details", recall_result("fail", matches=[SHEETS_MATCH], match_kind="upc"),
                                 locale="es-MX"))

        assert answer.summary == ("Sí, lo retiraron del mercado: “Thorley Industries 4moms breeze Cotton Jersey "
                                  "Playard Sheets” (2013-02-06).")
        assert answer.reasons[0].startswith("“Thorley Industries")
        assert "Peligro: Entrapment. Solución: Refund." in answer.reasons[0]


class TestCleanText:
    def test_a_hazard_ending_in_a_full_stop_gets_one_full_stop(self) -> None:
        match = {**SHEETS_MATCH, "hazard": "The sheet can detach and entrap a baby.", "remedy": "Stop using it."}

        answer = compose(request("recall_details", recall_result("fail", matches=[match], match_kind="upc")))

        assert "Hazard: The sheet can detach and entrap a baby. Remedy: Stop using it." in answer.reasons[0]
        assert ".." not in " ".join(answer.reasons)

    def test_a_long_hazard_is_cut_at_a_sentence_with_an_ellipsis(self) -> None:
        hazard = "The sheet can detach and entrap a baby. " + "Other words follow here. " * 20
        match = {**SHEETS_MATCH, "hazard": hazard}

        answer = compose(request("recall_details", recall_result("fail", matches=[match], match_kind="upc")))

        said = answer.reasons[0].split("Hazard: ")[1]
        assert said.startswith("The sheet can detach and entrap a baby.") and "…" in said
        assert len(said) < len(hazard)

    def test_a_missing_remedy_is_left_out_not_given_as_empty(self) -> None:
        match = {**SHEETS_MATCH, "remedy": None}

        answer = compose(request("recall_details", recall_result("fail", matches=[match], match_kind="upc")))

        assert "Remedy" not in answer.reasons[0] and "not given" not in " ".join(answer.reasons)
        assert answer.reasons[0].endswith("Hazard: Entrapment.")


def test_evidence_is_only_what_tools_returned_deduplicated() -> None:
    again = recall_result("fail", matches=[SHEETS_MATCH], match_kind="upc")
    regulation = Evidence(type="regulation", id="16-cfr-1501", title="16 CFR 1501")
    age = ToolResult(
        name="age_check",
        ok=True,
        checks=[Check(name="small_parts", status="fail", detail="x")],
        evidence=[regulation, regulation],
    )

    answer = compose(request("recall_details", again, age, again))

    assert answer.evidence == [SHEETS_RECALL, regulation]


def test_recall_facts_without_evidence_do_not_become_evidence() -> None:
    result = recall_result("fail", matches=[SHEETS_MATCH], match_kind="upc").model_copy(update={"evidence": []})

    assert compose(request("recall_details", result)).evidence == []


def test_allergy_answer_from_the_real_tool_says_no_and_where_the_allergy_came_from() -> None:
    product = Product(name="Similac Advance", ingredients=["Nonfat Milk", "Lactose", "Soy Oil"])
    result = check_allergens(product, Profile(allergies=["dairy"]))

    answer = compose(
        SynthesisRequest(
            question="Is this formula OK for my son?",
            intent="allergy_question",
            product=product,
            tool_results=[result],
        )
    )

    assert answer.summary == ("No: it contains milk (Nonfat Milk and Lactose), and your child's profile lists an "
                              "allergy to milk.")
    assert "allergen_match" in answer.flags
    assert [c.status for c in answer.checks] == ["fail"]
    assert answer.evidence[0].id == "21-usc-343w"


def test_checks_are_all_tool_checks_in_the_answer_language() -> None:
    product = Product(name="Similac Advance", ingredients=["Nonfat Milk"])
    result = check_allergens(product, Profile(allergies=["leche", "huevo"]))

    answer = compose(
        SynthesisRequest(question="¿Tiene leche?", intent="allergy_question", locale="es-ES", product=product,
                         tool_results=[result], language="es")
    )

    assert [c.name for c in answer.checks] == ["allergen_milk", "allergen_egg"]
    assert answer.checks[0].detail == "Contiene leche: Nonfat Milk."
    assert answer.summary.startswith("No: contiene leche (Nonfat Milk), y el perfil de su hijo indica alergia a: leche.")


def test_other_locales_are_answered_in_english() -> None:
    answer = compose(request("recall_details", recall_result("pass"), locale="de-DE"))

    assert answer.summary.startswith("No recall in our data")
    assert answer.disclaimer.startswith("BabyShield checks public CPSC and FDA recall data")


def test_ingredient_answer_explains_each_ingredient() -> None:
    product = Product(name="Baby wash", ingredients=["Water", "Fragrance"])

    answer = compose(
        SynthesisRequest(
            question="What's in this?",
            intent="ingredient_info",
            product=product,
            tool_results=[ingredient_info(product)],
        )
    )

    assert answer.summary.startswith("Here is what is in it; some ingredients need a closer look.")
    assert "Water: Water." in answer.reasons
    assert any(r.startswith("Fragrance: An undisclosed mix") for r in answer.reasons)
    assert "ingredient_caution" in answer.flags


def test_without_a_catalogue_the_answer_names_the_standard_and_the_recalls_to_avoid() -> None:
    alternatives = ToolResult(
        name="alternatives",
        ok=True,
        facts={
            "category": "play yard",
            "recalled_in_category": [SHEETS_MATCH],
            "look_for": "meets 16 CFR 1221 (play yards)",
            "note": "No product catalogue is loaded; no specific product is recommended.",
        },
        evidence=[SHEETS_RECALL],
    )

    answer = compose(request("alternative_products", alternatives))

    assert answer.summary == "We do not recommend specific products; look for one that meets 16 CFR 1221 (play yards)."
    assert answer.reasons[0] == (
        "A recalled product in this category to avoid: "
        "Thorley Industries 4moms breeze Cotton Jersey Playard Sheets (2013-02-06)."
    )
    assert answer.evidence == [SHEETS_RECALL]


def test_alternatives_without_a_category_ask_for_it() -> None:
    alternatives = ToolResult(name="alternatives", ok=True, facts={"category": None, "recalled_in_category": []})

    assert compose(request("alternative_products", alternatives)).summary.startswith("We need the product's category")


def test_unclear_question_without_tools_asks_what_the_parent_wants_to_know() -> None:
    answer = compose(request("unclear_intent", question="hmm"))

    assert answer.summary == "I'm not sure what you would like to know about this product."
    assert answer.checks == [] and answer.evidence == []
    assert answer.suggested_questions == [
        "Has this product been recalled?",
        "What age is it for?",
        "Does it contain any of my child's allergens?",
    ]


def test_reasons_are_capped_but_notices_always_kept() -> None:
    many = ToolResult(
        name="age_check",
        ok=True,
        checks=[Check(name=f"rule_{n}", status="warn", detail=f"Rule {n} applies.") for n in range(20)],
    )

    answer = compose(request("explain_scan", many, tool("recall_lookup", "", ok=False)), fallback_reason="timeout")

    assert len(answer.reasons) == DEFAULT_MAX_REASONS
    assert answer.reasons[-1] == "Some checks could not be completed: recalls."


def test_missing_birthdate_suggests_adding_it() -> None:
    age = ToolResult(
        name="age_check",
        ok=True,
        checks=[
            Check(
                name="age_minimum",
                status="unknown",
                detail="Labelled for 6 months and up; tell us how old your child is, or add the birthdate to your "
                       "profile, to compare.",
            )
        ],
    )

    answer = compose(request("age_appropriateness", age))

    assert "How do I add my child's birthdate?" in answer.suggested_questions


async def test_offline_writer_is_a_synthesizer_giving_the_composed_answer() -> None:
    req = request("recall_details", recall_result("pass"))

    assert await OfflineWriter().write(req) == compose(req)
