"""Tests for the recall document parsers, against the real data in ../shared/data."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from babyshield_chat.recalls.formats import (
    FormatError,
    RecallRecord,
    detect_format,
    parse_document,
)
from babyshield_chat.recalls.gtin import parse_gtin

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def load(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def by_number(records: list[RecallRecord]) -> dict[str, RecallRecord]:
    return {r.recall_number: r for r in records}


@pytest.mark.parametrize(
    ("file", "expected_format", "readme_count"),
    [
        ("cpsc_api_shape_sample.json", "cpsc_recall_api", 4),
        ("cpsc_child_recalls_2013_usagov_api.json", "cpsc_usagov", 940),
        ("cpsc_child_recalls_index_1973_2026.json", "cpsc_index", 2873),
        ("fda_infant_child_food_enforcement.json", "openfda_enforcement", 36),
    ],
)
def test_every_data_file_is_recognised_and_every_row_accounted_for(
    file: str, expected_format: str, readme_count: int
) -> None:
    document = load(file)
    report = parse_document(document)

    assert detect_format(document) == expected_format
    assert report.format == expected_format
    assert len(report.records) + len(report.rejected) == readme_count
    assert len({r.key for r in report.records}) == len(report.records)


def test_categories_sidecar_is_not_taken_for_a_recall_document() -> None:
    with pytest.raises(FormatError, match="not a recall document"):
        parse_document(load("cpsc_child_recalls_2013_usagov_api.categories.json"))


@pytest.fixture(scope="module")
def usagov_records() -> dict[str, RecallRecord]:
    report = parse_document(load("cpsc_child_recalls_2013_usagov_api.json"))
    assert report.rejected == []
    return by_number(report.records)


@pytest.fixture(scope="module")
def index_report():
    return parse_document(load("cpsc_child_recalls_index_1973_2026.json"))


@pytest.fixture(scope="module")
def fda_records() -> dict[str, RecallRecord]:
    report = parse_document(load("fda_infant_child_food_enforcement.json"))
    assert report.rejected == []
    return by_number(report.records)


@pytest.fixture(scope="module")
def api_records() -> dict[str, RecallRecord]:
    return by_number(parse_document(load("cpsc_api_shape_sample.json")).records)


class TestUsaGovShape:
    @pytest.fixture
    def records(self, usagov_records: dict[str, RecallRecord]) -> dict[str, RecallRecord]:
        return usagov_records

    def test_dates_span_the_readme_range_with_fifteen_undated(self, records: dict[str, RecallRecord]) -> None:
        dates = [r.recall_date for r in records.values() if r.recall_date]

        assert min(dates) == dt.date(1976, 10, 15)
        assert max(dates) == dt.date(2013, 10, 23)
        assert len(records) - len(dates) == 15

    def test_play_yard_sheets_recall_is_found_by_its_upc(self, records: dict[str, RecallRecord]) -> None:
        sheets = records["13115"]

        assert parse_gtin("817980011137").key in sheets.upcs
        assert "4moms breeze" in sheets.title
        assert sheets.recall_date == dt.date(2013, 2, 6)
        assert sheets.hazard == "Entrapment"
        assert sheets.agency == "CPSC"

    def test_rock_n_play_mold_recall_keeps_its_facts(self, records: dict[str, RecallRecord]) -> None:
        sleeper = records["13087"]

        assert "Rock 'n Play" in sleeper.title
        assert sleeper.recall_date == dt.date(2013, 1, 8)
        assert sleeper.brands == ("Fisher-Price",)
        assert sleeper.hazard == "Poisoning"
        assert sleeper.url.endswith("Risk-of-Exposure-to-Mold/")
        assert sleeper.upcs == ()

    def test_pacifier_recall_lists_all_eight_upcs(self, records: dict[str, RecallRecord]) -> None:
        pacifiers = records["00121"]

        assert len(pacifiers.upcs) == 8
        assert parse_gtin("078300010234").key in pacifiers.upcs
        assert pacifiers.upc_problems == ()

    def test_upc_counts_match_the_readme(self, records: dict[str, RecallRecord]) -> None:
        assert sum(1 for r in records.values() if r.raw["upcs"]) == 45
        assert sum(len(r.raw["upcs"]) for r in records.values() if r.raw["upcs"]) == 98

    def test_unusable_codes_are_reported_not_silently_dropped(self, records: dict[str, RecallRecord]) -> None:
        # 03187 lists four 5-digit numbers under "upcs".
        assert records["03187"].upcs == ()
        assert any("'35826'" in p for p in records["03187"].upc_problems)
        # 08579's codes have bad check digits but stay searchable.
        assert parse_gtin("947678164466").key in records["08579"].upcs
        assert any("check digit" in p for p in records["08579"].upc_problems)

    def test_raw_keeps_the_original_record(self, records: dict[str, RecallRecord]) -> None:
        assert records["13115"].raw["upcs"] == ["817980011137"]


class TestIndexShape:
    @pytest.fixture
    def report(self, index_report):
        return index_report

    def test_the_one_repeated_url_is_rejected_as_a_duplicate(self, report) -> None:
        assert len(report.records) == 2872
        [(index, reason)] = report.rejected
        assert "duplicate" in reason and "1986/Flying-Toy-Helicopter-Being-Recalled" in reason

    def test_dates_span_the_readme_range(self, report) -> None:
        dates = [r.recall_date for r in report.records]

        assert min(dates) == dt.date(1974, 2, 25)
        assert max(dates) == dt.date(2026, 8, 13)

    def test_rows_with_upcs_match_the_readme(self, report) -> None:
        assert sum(1 for r in report.records if "c" in r.raw) == 96

    def test_url_prefix_is_restored_and_full_urls_are_kept(self, report) -> None:
        urls = [r.url for r in report.records]

        assert all(u.startswith("https://www.cpsc.gov/") for u in urls)
        assert any("/Newsroom/News-Releases/2007/Kolcraft" in u for u in urls)

    def test_newest_magnet_recall_reads_as_its_row_says(self, report) -> None:
        [cubes] = [r for r in report.records if r.title.startswith("CuberShop")]

        assert cubes.recall_date == dt.date(2026, 8, 13)
        assert cubes.remedy == "Refund"
        assert "ingestion hazard" in cubes.hazard
        assert cubes.url == "https://www.cpsc.gov/Recalls/" + cubes.recall_number

    def test_product_names_are_split_on_the_sources_separator(self, report) -> None:
        multi = [r for r in report.records if " | " in r.raw["n"]]

        assert multi
        assert all(len(r.product_names) >= 2 for r in multi)


class TestOpenFdaShape:
    @pytest.fixture
    def records(self, fda_records: dict[str, RecallRecord]) -> dict[str, RecallRecord]:
        return fda_records

    def test_infant_formula_recalls_are_fda_records(self, records: dict[str, RecallRecord]) -> None:
        abbott = [r for r in records.values() if r.brands == ("Abbott Laboratories",)]

        assert len(abbott) == 23
        for number in ("F-0935-2022", "H-0249-2026", "H-1137-2026"):
            assert "infant formula" in records[number].product_names[0].lower()
        assert {r.agency for r in records.values()} == {"FDA"}

    def test_retail_upcs_are_read_out_of_the_description(self, records: dict[str, RecallRecord]) -> None:
        similac = records["F-0935-2022"]

        assert [parse_gtin(u).upc_a for u in similac.upcs] == [
            "070074533605",
            "070074680859",
            "070074559582",
            "070074122373",
        ]
        assert similac.brands == ("Abbott Laboratories",)
        assert "Cronobacter" in similac.hazard

    def test_codes_printed_with_spaces_in_code_info_are_found(self, records: dict[str, RecallRecord]) -> None:
        byheart = records["H-0249-2026"]

        assert parse_gtin("850044968008").key in byheart.upcs  # "8 50044 96800 8"
        assert parse_gtin("00850044968893").key in byheart.upcs

    def test_item_numbers_and_batches_are_not_taken_for_upcs(self, records: dict[str, RecallRecord]) -> None:
        similac = records["F-0935-2022"]

        assert all(not key.endswith("53359") for key in similac.upcs)
        assert len(similac.upcs) == 4

    def test_records_without_a_code_have_none(self, records: dict[str, RecallRecord]) -> None:
        assert records["H-0342-2026"].upcs == ()
        assert records["F-0957-2022"].upcs == ()  # "Retail UPCs: N/A - Clinical"
        assert sum(1 for r in records.values() if r.upcs) == 34

    def test_recall_date_is_when_the_firm_started_the_recall(self, records: dict[str, RecallRecord]) -> None:
        assert records["F-0935-2022"].recall_date == dt.date(2022, 2, 17)

    def test_list_markers_are_not_part_of_the_title(self, records: dict[str, RecallRecord]) -> None:
        assert records["H-1137-2026"].title.startswith("nara organics")


class TestRecallApiShape:
    @pytest.fixture
    def records(self, api_records: dict[str, RecallRecord]) -> dict[str, RecallRecord]:
        return api_records

    def test_all_four_records_with_titles_dates_and_links(self, records: dict[str, RecallRecord]) -> None:
        assert sorted(records) == ["25476", "26561", "26568", "26639"]
        bibs = records["26639"]
        assert bibs.recall_date == dt.date(2026, 7, 23)
        assert bibs.title.startswith("Peony Design Recalls Personalized Baby Bibs")
        assert bibs.url.startswith("https://www.cpsc.gov/Recalls/2026/Peony-Design")

    def test_products_makers_hazard_and_remedy_come_from_their_lists(self, records: dict[str, RecallRecord]) -> None:
        adapters = records["26568"]

        assert adapters.product_names == ("Joolz Aer2 Car Seat Adapters for Joolz Aer 2 Stroller",)
        assert "fall hazard" in adapters.hazard
        assert adapters.remedy.startswith("Consumers should stop using the Joolz Aer2")
        assert records["26639"].brands == ("Peony Design Co., of Howell, MI",)

    def test_models_and_upcs_of_a_fuller_record_are_read(self, records: dict[str, RecallRecord]) -> None:
        record = copy.deepcopy(dict(records["26568"].raw))
        record["Products"][0]["Model"] = "AER2-ADP, AER2-ADP-B"
        record["ProductUPCs"] = [{"UPC": "8 717447 14020 5"}, {"UPC": "817980011137"}]

        [parsed] = parse_document([record]).records

        assert parsed.model_numbers == ("AER2-ADP", "AER2-ADP-B")
        assert parse_gtin("817980011137").key in parsed.upcs


def test_api_envelopes_are_unwrapped() -> None:
    fda = load("fda_infant_child_food_enforcement.json")
    usagov = load("cpsc_child_recalls_2013_usagov_api.json")[:3]

    fda_report = parse_document({"meta": {"results": {"total": 36}}, "results": fda})
    usagov_report = parse_document({"success": {"total": 3, "results": usagov}})

    assert fda_report.format == "openfda_enforcement" and len(fda_report.records) == 36
    assert usagov_report.format == "cpsc_usagov" and len(usagov_report.records) == 3


def test_openfda_compact_dates_are_read() -> None:
    record = dict(load("fda_infant_child_food_enforcement.json")[0])
    record["recall_initiation_date"] = "20220217"

    [parsed] = parse_document([record]).records

    assert parsed.recall_date == dt.date(2022, 2, 17)


def _usagov() -> dict[str, Any]:
    return dict(load("cpsc_child_recalls_2013_usagov_api.json")[0])


@pytest.mark.parametrize(
    ("mutate", "reason_part"),
    [
        (lambda r: r.pop("recall_number"), "recall_number is missing"),
        (lambda r: r.update(recall_number="  "), "recall_number is missing"),
        (lambda r: r.update(recall_date="2012-13-45"), "'2012-13-45', not a real date"),
        (lambda r: r.update(recall_date="last spring"), "'last spring', not a date"),
        (lambda r: r.update(descriptions="CareBears pacifier"), "descriptions is 'CareBears pacifier', not a list"),
        (lambda r: r.update(upcs=[817980011137]), "upcs holds 817980011137, not text"),
        (lambda r: r.update(manufacturers=[{"name": "x"}]), "manufacturers holds {'name': 'x'}, not text"),
        (lambda r: r.update(organization="NHTSA"), "organization is 'NHTSA'"),
    ],
)
def test_malformed_record_is_rejected_with_a_reason_and_the_rest_parsed(mutate, reason_part: str) -> None:
    bad = _usagov()
    mutate(bad)
    good = load("cpsc_child_recalls_2013_usagov_api.json")[1:3]

    report = parse_document([good[0], bad, good[1]], format="cpsc_usagov")

    assert [r.recall_number for r in report.records] == [good[0]["recall_number"], good[1]["recall_number"]]
    [(index, reason)] = report.rejected
    assert index == 1
    assert reason_part in reason


@pytest.mark.parametrize("junk", [None, "13115", 13115, ["13115"]])
def test_records_that_are_not_objects_are_rejected(junk: Any) -> None:
    report = parse_document([_usagov(), junk])

    assert len(report.records) == 1
    assert report.rejected[0][0] == 1
    assert "not an object" in report.rejected[0][1]


def test_malformed_api_record_lists_are_rejected() -> None:
    record = dict(load("cpsc_api_shape_sample.json")[0])
    record["Products"] = "Bibs"

    report = parse_document([record], format="cpsc_recall_api")

    assert report.records == []
    assert "Products is 'Bibs'" in report.rejected[0][1]


def test_detection_follows_the_majority_when_the_first_record_is_odd() -> None:
    rows = load("cpsc_child_recalls_index_1973_2026.json")[:5]

    assert detect_format([{"unexpected": True}, *rows]) == "cpsc_index"


@pytest.mark.parametrize(
    ("document", "message_part"),
    [
        ([], "no records"),
        ([{"id": 1, "name": "crib"}], "['id', 'name']"),
        ([1, 2, 3], "'int'"),
        ("recalls", "a JSON str"),
        ({"data": []}, "['data']"),
    ],
)
def test_unrecognised_documents_are_refused_naming_what_was_seen(document: Any, message_part: str) -> None:
    with pytest.raises(FormatError) as excinfo:
        detect_format(document)

    assert message_part in str(excinfo.value)


def test_unknown_format_name_is_refused_quoting_it() -> None:
    with pytest.raises(FormatError, match="'cpsc_xml'"):
        parse_document([_usagov()], format="cpsc_xml")


def test_empty_document_parses_to_nothing() -> None:
    report = parse_document([])

    assert report.records == [] and report.rejected == []
