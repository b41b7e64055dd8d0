"""One recall, one entry: records of a group merge into one `Recall` with its sources."""

import datetime as dt

from babyshield_chat.recalls.results import merge_groups

BASE = {"agency": "CPSC", "category": None, "remedy": None, "deaths": 0, "serious_injuries": 0, "incidents": 0,
        "units": 0, "reannounced": False}


def row(number, source, group, **values):
    return {**BASE, "recall_number": number, "source": source, "recall_group": group, "recall_date": dt.date(2013, 1, 8),
            "title": f"title of {number}", "hazard": None, "url": None, **values}


def test_records_of_one_recall_become_one_entry_listing_both_sources():
    rows = [
        row("2013/mold", "cpsc_index", "CPSC-13087", hazard="Mold can develop between the cushion and the frame.",
            url="https://www.cpsc.gov/Recalls/2013/mold", remedy="New Instructions"),
        row("13087", "cpsc_usagov", "CPSC-13087", hazard="Poisoning", url="http://www.cpsc.gov/en/Recalls/2013/mold/"),
    ]
    (recall,) = merge_groups(rows, "name")
    assert recall.id == "CPSC-13087" and recall.title == "title of 13087"
    assert recall.hazard.startswith("Mold can develop")
    assert recall.url == "https://www.cpsc.gov/Recalls/2013/mold"
    assert recall.remedy == "New Instructions"
    assert [(s.id, s.source) for s in recall.sources] == [("CPSC-2013/mold", "cpsc_index"), ("CPSC-13087", "cpsc_usagov")]
    fact = recall.as_fact()
    assert fact["id"] == "CPSC-13087" and len(fact["sources"]) == 2 and fact["match_kind"] == "name"


def test_groups_keep_the_order_they_first_appear_in():
    rows = [row("b", "cpsc_index", "CPSC-b"), row("a", "cpsc_index", "CPSC-a"), row("b2", "cpsc_index", "CPSC-b")]
    assert [r.id for r in merge_groups(rows, "upc")] == ["CPSC-b", "CPSC-a"]


def test_severity_is_the_worst_any_record_reports():
    rows = [row("x", "cpsc_index", "CPSC-x", deaths=8, units=4_700_000), row("y", "cpsc_usagov", "CPSC-x", incidents=3)]
    (recall,) = merge_groups(rows, "name")
    assert (recall.severity.deaths, recall.severity.incidents, recall.severity.units) == (8, 3, 4_700_000)


def test_a_record_not_yet_grouped_stands_alone():
    (recall,) = merge_groups([row("13115", "cpsc_usagov", None)], "upc")
    assert recall.id == "CPSC-13115" and len(recall.sources) == 1
