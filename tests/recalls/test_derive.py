"""The search columns of a record, from the record alone."""

import json

from babyshield_chat.recalls.derive import SEARCH_VERSION, derive, record_from_row
from babyshield_chat.recalls.formats import parse_document

from tests.support.data import data_file


def records(name):
    return {r.recall_number: r for r in parse_document(json.loads(data_file(name).read_text())).records}


INDEX = records("cpsc_child_recalls_index_1973_2026.json")
ROCK_N_PLAY_2019 = "2019/Fisher-Price-Recalls-Rock-n-Play-Sleepers-Due-to-Reports-of-Deaths"


def lexemes(document):
    return {item.split(":")[0].strip("'"): item.split(":")[1] for item in document.split(" ")}


def test_an_index_row_gets_its_brand_from_the_slug_and_its_severity_from_the_text():
    fields = derive(INDEX[ROCK_N_PLAY_2019])
    assert fields.brand_keys == ("fisherprice",)
    assert fields.severity.deaths == 1
    assert fields.slug == ROCK_N_PLAY_2019.lower()


def test_the_document_weights_name_brand_slug_and_hazard():
    doc = lexemes(derive(INDEX[ROCK_N_PLAY_2019]).search_doc)
    assert "A" in doc["rock"] and "C" in doc["rock"]  # in the name and in the slug
    assert "B" in doc["fisherprice"]
    assert "D" in doc["infant"]  # the hazard says "Infant fatalities"
    assert "rockplay" in doc  # "Rock 'n Play" joined


def test_the_name_words_are_adjacent_and_the_fields_apart():
    doc = lexemes(derive(INDEX[ROCK_N_PLAY_2019]).search_doc)
    rock = int(doc["rock"].split(",")[0][:-1])
    play = int(doc["play"].split(",")[0][:-1])
    assert play == rock + 1


def test_a_model_printed_in_a_name_becomes_a_model_key():
    row = next(r for r in INDEX.values() if "YJ MGC" in r.title)
    assert derive(row).model_keys == ("YJMGC5X5",)


def test_derive_is_the_same_from_a_stored_row():
    record = INDEX[ROCK_N_PLAY_2019]
    stored = {"source": record.source, "agency": record.agency, "recall_number": record.recall_number,
              "recall_date": record.recall_date, "title": record.title, "product_names": list(record.product_names),
              "brands": list(record.brands), "model_numbers": list(record.model_numbers), "upcs": list(record.upcs),
              "category": record.category, "hazard": record.hazard, "remedy": record.remedy, "url": record.url,
              "raw": json.dumps(dict(record.raw))}
    assert derive(record_from_row(stored)) == derive(record)


def test_api_records_read_units_and_incidents_from_their_fields():
    api = records("cpsc_api_shape_sample.json")["26639"]
    fields = derive(api)
    assert fields.severity.units == 52 and fields.severity.incidents == 3 and fields.severity.deaths == 0
    assert "peonydesign" in fields.brand_keys
    assert fields.columns()[-1] == SEARCH_VERSION
