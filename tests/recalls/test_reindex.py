"""An existing database gets its search columns from `prepare_database` (what `migrate` runs) alone; re-running changes nothing."""

import json

import asyncpg
import pytest

from babyshield_chat.db.migrate import available_migrations
from babyshield_chat.recalls import reindex
from babyshield_chat.recalls import repository as repo
from babyshield_chat.recalls.formats import parse_document
from babyshield_chat.recalls.importer import import_file
from babyshield_chat.recalls.search import search

from tests.support.data import RECALL_FILES, data_file
from tests.support.database import fetch

SEARCH_MIGRATION = 3
# The upsert of the importer before the search columns existed.
_OLD_INSERT = """
INSERT INTO recalls (agency, recall_number, recall_date, title, product_names, brands, model_numbers,
                     upcs, category, hazard, remedy, url, source, search_text, raw)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)
"""


GROUPS = "SELECT agency, recall_number, recall_group FROM recalls ORDER BY 1, 2"


async def _database_before_search(url):
    """The schema and data an older version left: migrations before 0003, rows written by its importer."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("""CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
                              checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())""")
        for migration in available_migrations():
            if migration.version < SEARCH_MIGRATION:
                await conn.execute(migration.sql)
                await conn.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                   migration.version, migration.name, migration.checksum)
        rows = [
            (r.agency, r.recall_number, r.recall_date, r.title, list(r.product_names), list(r.brands),
             list(r.model_numbers), list(r.upcs), r.category, r.hazard, r.remedy, r.url, r.source,
             repo.search_text(r), json.dumps(r.raw, sort_keys=True, default=str))
            for name in RECALL_FILES
            for r in parse_document(json.loads(data_file(name).read_text())).records
        ]
        await conn.executemany(_OLD_INSERT, rows)
        await conn.execute("INSERT INTO recall_imports (source, finished_at) VALUES ('old', now())")
    finally:
        await conn.close()


async def test_migrate_makes_an_existing_database_searchable(empty_database):
    await _database_before_search(empty_database)
    applied = await reindex.prepare_database(empty_database)
    # The search's migration and every later one (0004, feedback votes): what an older database lacks.
    assert [m.version for m in applied] == [m.version for m in available_migrations() if m.version >= SEARCH_MIGRATION]
    assert applied[0].version == SEARCH_MIGRATION
    conn = await asyncpg.connect(empty_database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM recalls WHERE search_version = 0 OR recall_group IS NULL") == 0
        assert await conn.fetchval("SELECT count(*) FROM recall_terms") > 10000
        results = await search(conn, "fisher price rock n play")
        assert results[0].title.startswith("All models of Rock 'n Play")
        mold = next(r for r in results if r.id == "CPSC-13087")
        assert {s.source for s in mold.sources} == {"cpsc_usagov", "cpsc_index"}
    finally:
        await conn.close()


async def test_a_second_migrate_and_refresh_change_nothing(empty_database):
    await _database_before_search(empty_database)
    await reindex.prepare_database(empty_database)
    conn = await asyncpg.connect(empty_database)
    try:
        before = await conn.fetch("SELECT agency, recall_number, recall_group, updated_at FROM recalls ORDER BY 1, 2")
        report = await reindex.refresh(conn)
        assert (report.rederived, report.regrouped, report.vocabulary_rebuilt) == (0, 0, False)
        assert await conn.fetch("SELECT agency, recall_number, recall_group, updated_at FROM recalls ORDER BY 1, 2") == before
    finally:
        await conn.close()
    assert await reindex.prepare_database(empty_database) == []


async def test_reimporting_the_same_files_updates_nothing_and_keeps_the_groups(loaded_database_url):
    groups = await fetch(loaded_database_url, GROUPS)
    for name in RECALL_FILES:
        report = await import_file(loaded_database_url, data_file(name))
        assert (report.counts.inserted, report.counts.updated) == (0, 0), report.lines()[0]
    assert await fetch(loaded_database_url, GROUPS) == groups


async def test_rows_of_an_older_derivation_are_derived_again_to_the_same_values(loaded_database_url):
    conn = await asyncpg.connect(loaded_database_url)
    try:
        columns = "search_doc::text, brand_keys, model_keys, compact_text, slug, deaths, units, recall_group"
        before = await conn.fetch(f"SELECT {columns} FROM recalls ORDER BY agency, recall_number")
        await conn.execute("UPDATE recalls SET search_version = 0, search_doc = '', brand_keys = '{}', deaths = 0")
        report = await reindex.refresh(conn)
        assert report.rederived == len(before)
        assert await conn.fetch(f"SELECT {columns} FROM recalls ORDER BY agency, recall_number") == before
    finally:
        await conn.close()


async def test_a_recall_no_source_brands_gets_the_brand_its_name_starts_with(loaded_database_url):
    (row,) = await fetch(loaded_database_url, "SELECT group_brands FROM recalls WHERE title LIKE 'Maclaren strollers (sold%'")
    assert "maclaren" in row["group_brands"]
