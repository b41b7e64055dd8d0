"""Brands, model numbers and slugs read out of records that have no such fields."""

import json

import pytest

from babyshield_chat.recalls.extract import (
    brand_keys,
    brands_from_name,
    brands_from_slug,
    models_from_name,
    recall_slug,
)

from tests.support.data import data_file


@pytest.mark.parametrize(
    ("slug", "brands"),
    [
        ("Fisher-Price-Recalls-Rock-n-Play-Sleepers-Due-to-Reports-of-Deaths", ["Fisher Price"]),
        ("Fisher-Price-Reannounces-Recall-of-4-7-Million-Rock-n-Play-Sleepers-At-Least-Eight-Deaths-Occurred",
         ["Fisher Price"]),
        ("The-Boppy-Company-Recalls-Over-3-Million-Original-Newborn-Loungers", ["The Boppy Company"]),
        ("CPSC-Graco-Announce-Recall-to-Repair-Stationary-Entertainers", ["Graco"]),
        ("Graco-Announced-Free-Stroller-Retrofit-Kit-To-Prevent-Entrapment", ["Graco"]),
        ("Infant-Car-Seats-Recalled-by-Britax-Due-to-Laceration-and-Choking-Hazards", ["Britax"]),
        ("Magnetic-Fidget-Sliders-Recalled-Due-to-Risk-of-Serious-Injury-Sold-on-Amazon-by-BUSOHA", ["BUSOHA"]),
        ("Infant-Entrapment-and-Suffocation-Prompts-Stork-Craft-to-Recall-More-Than-21-Million-Drop-Side-Cribs",
         ["Stork Craft"]),
        ("Baby-Trend-Recalls-Tango-Mini-Strollers-Due-to-Fall-Hazard", ["Baby Trend"]),
        ("Infant-Death-Prompts-Recall-To-Repair-600000-Drop-Side-Cribs-By-Delta-Enterprise-Spring-Peg-Failure",
         ["Delta Enterprise"]),
        ("Rechargeable-Batteries-in-Video-Baby-Monitors-Recalled-to-Replace-by-Summer-Infant-Due", ["Summer Infant"]),
        ("Reported-Death-Prompt-Recall-of-Banzai-Pool-Slides-Sold-by-Walmart-and-Toys-R-Us", ["Walmart", "Toys R Us"]),
        ("CPSC-Creative-Consumer-Concepts-Inc-and-Whataburger-Inc-Announce-Recall-of-Kids-Meal-Toys",
         ["Creative Consumer Concepts Inc", "Whataburger Inc"]),
    ],
)
def test_the_firm_is_read_from_the_recall_page_slug(slug, brands):
    assert brands_from_slug(slug) == brands


@pytest.mark.parametrize(
    "slug",
    ["Four-Retailers-Agree-to-Stop-Sale-and-Voluntarily-Recall-Nap-Nanny-Recliners",
     "Childrens-Robes-Recall-Expansion-Announced-Due-to-Burn-Hazard",
     "Toys-Recalled-Due-To-Potential-Choking-Hazard",
     ],
)
def test_a_headline_is_not_taken_for_a_firm(slug):
    assert brands_from_slug(slug) == []


@pytest.mark.parametrize(
    ("name", "models"),
    [
        ("CuberShop Magnetic Stickerless Speed Cubes, model YJ MGC 5×5", ["YJ MGC 5×5"]),
        ("Youth All-Terrain Vehicles (ATVs), model XW-A19", ["XW-A19"]),
        ("Tesla Cyberquad for Kids by Radio Flyer, Model Number 914", ["914"]),
        ("Infantino Troy the Activity Truck model numbers 153-210, 206-110, and 506-110C",
         ["153-210", "206-110", "506-110C"]),
        ("Water-absorbing polymer balls, model number 7280 and model number 7289,", ["7280", "7289"]),
        ("Baby Jogger Car Seat Adaptors for Strollers, model numbers: BJ90121 for single strollers", ["BJ90121"]),
        ("Super Safari Set model #30025, Deluxe Circus Train Set model #30040", ["30025", "30040"]),
    ],
)
def test_model_numbers_printed_in_names_are_found(name, models):
    assert models_from_name(name) == models


@pytest.mark.parametrize(
    "name",
    ["Model Year 2021-2024 RZR 200 Youth ROVs", "Steering wheels on Model 8 Roadsters", "All models of Rock 'n Play Sleepers",
     "KidKraft Farm to Table Model Play Kitchen"],
)
def test_words_after_model_that_are_no_model_number_are_ignored(name):
    assert models_from_name(name) == []


def test_a_brand_marked_as_such_in_a_name_is_found():
    assert brands_from_name("SafetyCraft Brand Drop Side Cribs") == ["SafetyCraft"]


def test_brand_keys_drop_repeats_and_keys_too_short():
    assert brand_keys(["Fisher-Price", "Fisher Price", "GE"]) == ["fisherprice"]


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://www.cpsc.gov/Recalls/2019/Fisher-Price-Recalls-Rock-n-Play-Sleepers", ("2019", "Fisher-Price-Recalls-Rock-n-Play-Sleepers")),
        ("http://www.cpsc.gov/en/Recalls/2013/Fisher-Price-Recalls-to-Inspect-Rock-N-Play/",
         ("2013", "Fisher-Price-Recalls-to-Inspect-Rock-N-Play")),
        ("http://www.cpsc.gov/en/Newsroom/News-Releases/2011/CPSC-Alert-Consumers/", ("2011", "CPSC-Alert-Consumers")),
        ("2026/MJKSARE-High-Chairs-Recalled%20Due-to-Entrapment", ("2026", "MJKSARE-High-Chairs-Recalled-Due-to-Entrapment")),
    ],
)
def test_the_slug_of_every_cpsc_link_shape(url, slug):
    assert recall_slug(url) == slug


@pytest.mark.parametrize("url", [None, "", "http://cs.cpsc.gov/ConceptDemo/SearchCPSC.aspx?query=13216", "https://example.org/x"])
def test_links_that_are_no_recall_page_have_no_slug(url):
    assert recall_slug(url) is None


def test_most_index_rows_name_their_firm():
    """The index rows have no brand field: the slug gives one to most of them (2,281 of 2,873 today)."""
    rows = json.loads(data_file("cpsc_child_recalls_index_1973_2026.json").read_text())
    named = sum(1 for r in rows if (slug := recall_slug(r["u"])) and brands_from_slug(slug[1]))
    assert named / len(rows) > 0.75
