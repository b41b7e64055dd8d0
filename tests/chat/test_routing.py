"""Routing a message: every concern to its tools, small talk to none (spec 4b.5, 4b.8)."""

from __future__ import annotations

import datetime as dt

import pytest

from babyshield_chat.chat.intents import classify_text
from babyshield_chat.chat.message_facts import read_message
from babyshield_chat.chat.model import Product, Profile
from babyshield_chat.chat.routing import asks_sleep, asks_use, route

LOUNGER = Product(brand="Boppy", name="Original Newborn Lounger")
WALKER = Product(name="Baby walker", category="walker", age_min_months=6)
PUFFS = Product(name="Peanut Butter Puffs", ingredients=["corn meal", "peanut butter"])
IBUPROFEN = Product(name="Ibuprofen tablets 200 mg", ingredients=["ibuprofen"])
CUPS = Product(name="Stacking cups", age_min_months=12)


def routed(message: str, product: Product | None = None, profile: Profile | None = None):
    return route(classify_text(message), message, product, profile or Profile(), read_message(message))


def test_two_concerns_run_the_union_of_their_tools_and_keep_the_primary_intent() -> None:
    r = routed("Is it recalled and is it OK for my 2 month old to nap in it?", LOUNGER)

    assert {"recall_lookup", "age_check"} <= set(r.tools)
    assert r.concerns >= {"recall_details", "age_appropriateness"}
    assert r.intent in ("recall_details", "age_appropriateness", "unclear_intent")


@pytest.mark.parametrize(
    ("profile", "tool"),
    [
        (Profile(allergies=["peanut"]), "allergen_check"),
        (Profile(pregnancy_trimester=2), "pregnancy_check"),
        (Profile(child_birthdate=dt.date(2026, 1, 1)), "age_check"),
    ],
)
def test_an_unclear_message_with_a_product_runs_every_check_the_profile_allows(profile, tool) -> None:
    r = routed("thoughts on these?", PUFFS, profile)

    assert r.intent == "unclear_intent"
    assert "recall_lookup" in r.tools and tool in r.tools


def test_an_unclear_message_without_profile_facts_runs_only_what_the_product_allows() -> None:
    assert routed("thoughts on these?", PUFFS).tools == ("recall_lookup",)
    assert set(routed("thoughts on this?", WALKER).tools) == {"recall_lookup", "age_check"}


def test_a_use_question_next_to_a_recall_question_runs_the_profile_checks_too() -> None:
    r = routed("any recalls on this? and can I take it?", IBUPROFEN, Profile(pregnancy_trimester=3))

    assert {"recall_lookup", "pregnancy_check"} <= set(r.tools)


def test_a_recall_question_alone_runs_the_recall_look_up_only() -> None:
    assert routed("Has this been recalled?", PUFFS, Profile(allergies=["peanut"])).tools == ("recall_lookup",)


def test_facts_stated_in_the_message_bring_their_checks() -> None:
    r = routed("my 10 month old is allergic to wheat - is it recalled?", Product(name="Teething biscuits",
                                                                                  ingredients=["wheat flour"]))

    assert {"recall_lookup", "age_check", "allergen_check"} <= set(r.tools)


def test_a_banned_kind_of_product_gets_the_age_check_whatever_is_asked() -> None:
    assert "age_check" in routed("is it recalled?", Product(name="Stork Craft drop-side crib")).tools


def test_a_scanned_brand_is_checked_as_the_kind_the_message_calls_it() -> None:
    r = routed("can my newborn sleep in this nest?", Product(name="Cloud Nine Snuggle"))

    assert r.product == Product(name="Cloud Nine Snuggle", category="nest")
    assert "age_check" in r.tools


def test_a_kind_no_rule_is_about_leaves_the_scanned_product_as_it_is() -> None:
    assert routed("is this thermometer ok?", Product(name="Acme Turbo")).product == Product(name="Acme Turbo")


@pytest.mark.parametrize("message", ["can I take this while breastfeeding?", "¿puedo tomarlo durante la lactancia?"])
def test_a_breastfeeding_question_runs_the_pregnancy_check_which_says_what_it_covers(message) -> None:
    assert "pregnancy_check" in routed(message, IBUPROFEN).tools


def test_a_breastfeeding_question_without_a_product_still_runs_the_check_that_says_what_it_covers() -> None:
    r = routed("can I drink coffee while breastfeeding?")

    assert r.small_talk is None and r.tools == ("pregnancy_check",)


def test_a_bare_name_in_a_sleep_question_is_a_product_only_when_a_sleep_rule_knows_it() -> None:
    assert routed("can my baby sleep in the dockatot?").product == Product(name="dockatot")
    assert routed("¿puede dormir con saco de dormir con peso?").product == Product(name="weighted sleep sack")
    assert routed("can my baby sleep in the car?").product is None
    assert routed("can my baby sleep on the couch?").product is None


def test_a_product_named_in_the_message_is_checked_by_that_name() -> None:
    r = routed("can my baby sleep in a rock n play?")

    assert r.product == Product(name="rock n play")
    assert {"recall_lookup", "age_check"} <= set(r.tools)


@pytest.mark.parametrize("message", ["Hi", "thanks!", "whats the weather tomorrow in boston", "asdfghjkl"])
def test_small_talk_runs_no_tool(message) -> None:
    r = routed(message)

    assert r.small_talk is not None and r.tools == ()


def test_thanks_with_a_scanned_product_is_still_small_talk() -> None:
    assert routed("thank you so much", PUFFS).small_talk == "thanks"


def test_a_question_about_a_product_that_is_neither_scanned_nor_named_asks_for_it() -> None:
    r = routed("my 2 month old's temperature is 99.5, is that ok")

    assert r.small_talk == "no_product" and r.tools == ()


def test_a_recall_question_without_a_product_still_runs_the_look_up_to_ask_which_product() -> None:
    r = routed("is fisher price recalled?")

    assert r.small_talk is None and r.tools == ("recall_lookup",)


@pytest.mark.parametrize(
    ("message", "use"),
    [("is it recalled?", False), ("Is this safe?", True), ("can my son have these?", True),
     ("¿Puede usarlo mi bebé?", True), ("Nap Nanny recliner - recalled?", False), ("ok thanks bye", False),
     ("ok for my 3 month old?", True)],
)
def test_a_use_question_is_told_from_a_recall_question(message, use) -> None:
    assert asks_use(message) is use


@pytest.mark.parametrize(
    ("message", "sleep"),
    [("is this lounger ok for naps?", True), ("can she sleep overnight in this?", True),
     ("ok for my 2 year old at night?", True), ("¿Puede dormir aquí?", True),
     ("Nap Nanny recliner - recalled?", False), ("is the rock n play sleeper recalled?", False)],
)
def test_a_sleep_question_is_recognised_and_a_product_name_is_not_one(message, sleep) -> None:
    assert asks_sleep(message) is sleep


def test_the_cups_with_an_age_grading_get_the_age_check_for_an_open_question() -> None:
    assert set(routed("ok for her?", CUPS).tools) == {"recall_lookup", "age_check"}
