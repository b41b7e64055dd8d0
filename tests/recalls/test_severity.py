"""Severity is what happened (deaths, injuries, incidents), never the risk every recall names."""

import pytest

from babyshield_chat.recalls.severity import Severity, assess, deaths_in, incidents_in, injuries_in, units_in


@pytest.mark.parametrize(
    ("text", "deaths"),
    [
        ("Fisher Price Reannounces Recall of 4 7 Million Rock n Play Sleepers At Least Eight Deaths Occurred", 8),
        ("Fisher Price Recalls 4 in 1 Rock n Glide Soothers After Four Infant Deaths", 4),
        ("Infant fatalities have occurred in the Rock 'n Play Sleepers, after the infants rolled", 1),
        ("Peg Perego Recalls Strollers Due to Risk of Entrapment and Strangulation One Child Death Reported", 1),
        ("Second Infant Death Prompts Re Announcement of Delta Enterprise Safety Peg Drop Side", 2),
        ("Peloton Recalls Tread Plus Treadmills After One Child Died and More than 70 Incidents Reported", 1),
        ("Strangulation Death of a Child Prompts Recall of Roman Shades", 1),
        ("Kids II Recalls All Rocking Sleepers Due to Reports of Deaths", 1),
    ],
)
def test_reported_deaths_are_counted(text, deaths):
    assert deaths_in(text) == deaths


@pytest.mark.parametrize(
    "text",
    [
        "Magnet Toys Recalled Due to Risk of Serious Injury or Death from Magnet Ingestion",
        "The wooden beads pose a deadly choking hazard to young children.",
        "can cause intestinal perforations or blockages, which can be fatal",
        "Infant fatalities have occurred in inclined sleeper products after the infants rolled over.",
        "Infant fatalities have been reported with other manufacturers' products.",
        "posing a risk of serious injury or death due to tip over",
    ],
)
def test_a_risk_of_death_is_no_death(text):
    assert deaths_in(text) == 0


def test_injuries_need_a_serious_outcome_and_no_denial():
    assert injuries_in("The child experienced second degree burns to his back, requiring medical attention.") == 1
    assert injuries_in("The firm received 12 reports of injuries, including 3 fractures.") == 12
    assert injuries_in("The firm received three reported incidents. No injuries have been reported.") == 0
    assert injuries_in("posing a risk of serious injury from a fall hazard") == 0


def test_incidents_are_counted_from_the_text():
    assert incidents_in("The firm received three reported incidents of a broken snap") == 3
    assert incidents_in("More than 70 Incidents Reported") == 70


@pytest.mark.parametrize(
    ("number_of_units", "slug", "units"),
    [("About 2,200", "", 2200), ("About 3,840 (In addition, about 148 were sold in Canada)", "", 3840),
     (None, "Recall of 4 7 Million Rock n Play Sleepers", 4_700_000), (None, "Recall of 694 000 Rocking Sleepers", 694_000),
     (None, "Recalls Strollers", 0)],
)
def test_units_come_from_the_api_field_or_the_slug(number_of_units, slug, units):
    assert units_in(number_of_units, slug) == units


def test_a_reannouncement_is_flagged():
    assert assess(["All models of Rock 'n Play Sleepers"], slug_words="Fisher Price Reannounces Recall of 4 7 Million").reannounced
    assert assess(["x"], slug_words="Evenflo Expands Recall of Majestic High Chairs").reannounced
    assert not assess(["Graco Harmony High Chairs"], slug_words="Graco Recalls Harmony High Chairs").reannounced


def test_merge_keeps_the_worst_of_two_reports():
    merged = Severity(deaths=1, units=10).merge(Severity(deaths=8, incidents=3, reannounced=True))
    assert merged == Severity(deaths=8, serious_injuries=0, incidents=3, units=10, reannounced=True)
