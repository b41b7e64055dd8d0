"""Recall look-ups over the real imported data."""

import datetime as dt

import asyncpg
import pytest

from babyshield_chat.recalls import reindex
from babyshield_chat.recalls import repository as repo
from babyshield_chat.recalls.formats import RecallRecord
from babyshield_chat.recalls.gtin import parse_gtin


@pytest.fixture
async def conn(loaded_database_url):
    connection = await asyncpg.connect(loaded_database_url)
    yield connection
    await connection.close()


async def test_upc_finds_the_4moms_play_yard_sheet_recall(conn):
    matches = await repo.find_by_codes(conn, parse_gtin("817980011137").candidates)
    assert "13115" in {m.recall_number for m in matches}
    assert all(m.match_kind == "upc" for m in matches)


async def test_upc_typed_as_gtin14_finds_the_same_recall(conn):
    matches = await repo.find_by_codes(conn, parse_gtin("00817980011137").candidates)
    assert "13115" in {m.recall_number for m in matches}


async def test_one_code_gives_one_recall_with_every_source_that_holds_it(conn):
    (recall,) = await repo.find_by_codes(conn, parse_gtin("817980011137").candidates)
    assert recall.id == "CPSC-13115"
    assert {s.source for s in recall.sources} == {"cpsc_usagov", "cpsc_index"}


async def test_a_model_printed_in_a_name_is_found_whatever_its_spelling(conn):
    for spelling in ("YJ MGC 5×5", "yj-mgc-5x5", "YJMGC5X5"):
        (recall,) = await repo.find_by_model(conn, spelling)
        assert recall.match_kind == "model" and "CuberShop" in recall.title


async def test_a_model_of_punctuation_only_finds_nothing(conn):
    assert await repo.find_by_model(conn, " - ") == []


async def test_freshness_counts_recalls_and_records_apart(conn):
    fresh = await repo.freshness(conn)
    assert fresh.recalls_loaded < fresh.records_loaded


async def test_rock_n_play_name_finds_the_2013_mold_recall(conn):
    matches = await repo.find_by_name(conn, "rock 'n play sleeper", limit=10)
    assert "13087" in {m.recall_number for m in matches}


async def test_infant_formula_name_finds_fda_records(conn):
    matches = await repo.find_by_name(conn, "infant formula", limit=10)
    assert any(m.agency == "FDA" for m in matches)


async def test_brand_filter_excludes_other_makers(conn):
    matches = await repo.find_by_name(conn, "rock 'n play sleeper", brand="graco", limit=10)
    assert "13087" not in {m.recall_number for m in matches}


async def test_unknown_upc_finds_nothing(conn):
    assert await repo.find_by_codes(conn, parse_gtin("036000291452").candidates) == []


async def test_freshness_reports_records_and_import_time(conn):
    fresh = await repo.freshness(conn)
    assert fresh.records_loaded > 3000 and fresh.last_import_at is not None


async def test_empty_table_has_no_freshness(database_url):
    connection = await asyncpg.connect(database_url)
    try:
        fresh = await repo.freshness(connection)
    finally:
        await connection.close()
    assert (fresh.records_loaded, fresh.last_import_at) == (0, None)


async def test_two_recalls_of_one_code_and_date_come_richer_source_first(database_url):
    code = parse_gtin("036000291452")
    same = {"agency": "CPSC", "recall_date": dt.date(2020, 5, 1), "title": "Acme bassinet", "upcs": (code.key,)}
    conn = await asyncpg.connect(database_url)
    try:
        # Two recalls (no number or page in common), the index row with the lower id.
        await repo.upsert(conn, [RecallRecord(source="cpsc_index", recall_number="A1", **same),
                                 RecallRecord(source="cpsc_recall_api", recall_number="B2", **same)])
        await reindex.refresh(conn, changed=True)
        assert [m.id for m in await repo.find_by_codes(conn, code.candidates)] == ["CPSC-B2", "CPSC-A1"]
    finally:
        await conn.close()
