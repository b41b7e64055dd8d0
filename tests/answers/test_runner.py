"""Sending cases through the real HTTP API: profiles first, one user per case, every case judged."""

from __future__ import annotations

import datetime as dt

from bench.answers.cases import Case, ProfileSpec
from bench.answers.judge import RunFacts
from bench.answers.runner import birthdate_for, profile_body, run_suite
from bench.answers.service import serving

from babyshield_chat.chat.tools.child_age import child_age_months

TODAY = dt.date(2026, 12, 2)


def case(case_id: str, request: dict, expect: dict, category: str = "allergens") -> Case:
    return Case.model_validate({"id": case_id, "category": category, "request": request, "expect": expect,
                                "reason": "a reason long enough to say why it is right"})


def test_a_profile_age_in_months_is_that_many_whole_months_on_any_day():
    for today in (dt.date(2026, 12, 2), dt.date(2026, 3, 31), dt.date(2027, 1, 1), dt.date(2028, 2, 29)):
        for months in (0, 1, 3, 11, 14, 36):
            birthdate = birthdate_for(ProfileSpec(child_age_months=months), today)
            assert child_age_months(birthdate, today) == months, (today, months, birthdate)


def test_a_profile_age_in_weeks_is_that_many_weeks_ago():
    assert birthdate_for(ProfileSpec(child_age_weeks=5), TODAY) == dt.date(2026, 10, 28)
    assert birthdate_for(ProfileSpec(), TODAY) is None


def test_the_profile_body_has_every_field_a_put_requires():
    body = profile_body(ProfileSpec(allergies=["milk"], pregnancy_trimester=2), TODAY)
    assert body == {"consent_memory": False, "allergies": ["milk"], "pregnancy_trimester": 2, "child_birthdate": None}


WHEY_FORMULA = {"name": "Infant formula", "ingredients": ["whey protein concentrate", "lactose"]}


async def test_each_case_puts_its_own_profile_first_and_is_judged(loaded_database_url):
    with_allergy = case("with-milk-profile",
                        {"message": "is this ok for his milk allergy?", "product": WHEY_FORMULA,
                         "profile": {"allergies": ["milk"]}},
                        {"checks": {"allergen_milk": ["fail"]}})
    # Same question, no profile: a separate user, so the first case's allergy must not carry over.
    without = case("without-profile", {"message": "is this ok for his allergy?", "product": WHEY_FORMULA},
                   {"checks": {"allergen_milk": ["fail"]}})
    facts = RunFacts(checked_on=TODAY, newest_recall=dt.date(2026, 8, 13))
    async with serving(loaded_database_url) as base_url:
        results = await run_suite([with_allergy, without], base_url, facts)
    assert [r.case.id for r in results] == ["with-milk-profile", "without-profile"]
    assert not [f for f in results[0].failures if f.kind == "checks"], results[0].failures
    assert not results[1].passed
    missing = [f for f in results[1].failures if f.kind == "checks"]
    assert missing and "no check named /allergen_milk/" in missing[0].message


async def test_explain_cases_and_refused_requests_get_a_verdict_too(loaded_database_url):
    explain = case("explain", {"endpoint": "explain", "product": {"upc": "817980011137"}},
                   {"intent": "explain_scan", "checks": {"recall": ["fail"]}}, category="upc_model")
    refused = case("refused", {"message": "Is this recalled?", "product": {"upc": "not-a-code"}},
                   {"intent": "recall_details"}, category="upc_model")
    facts = RunFacts(checked_on=TODAY, newest_recall=dt.date(2026, 8, 13))
    async with serving(loaded_database_url) as base_url:
        explained, rejected = await run_suite([explain, refused], base_url, facts, concurrency=2)
    assert explained.reply.body["intent"] == "explain_scan"
    assert not any(f.kind in ("intent", "checks", "http_ok") for f in explained.failures)
    assert rejected.reply.status == 400
    assert [f.kind for f in rejected.failures] == ["http_ok"] and "invalid_request" in rejected.failures[0].message
    assert rejected.first_sentence == "(HTTP 400)"
