"""The recalls table: idempotent upserts, look-ups, and the data's age.

Look-ups go from the most to the least certain key: an exact GTIN (every
spelling of the scanned code), a model number, then the name search of
`recalls.search`. Each returns whole recalls (`recalls.results.Recall`, one
per recall however many sources hold it) and says how it was found, so an
answer can say "matched by UPC" or "a similar name".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Sequence

import asyncpg

from babyshield_chat.recalls.derive import derive
from babyshield_chat.recalls.formats import RecallRecord
from babyshield_chat.recalls.grouping import source_rank_sql
from babyshield_chat.recalls.normalise import model_key
from babyshield_chat.recalls.results import MEMBER_COLUMNS, Recall, merge_groups
from babyshield_chat.recalls.search import search as name_search

DEFAULT_LIMIT = 5

#: A found recall (kept under this name for the tools that import it from here).
RecallMatch = Recall


@dataclasses.dataclass(frozen=True)
class Freshness:
    records_loaded: int
    last_import_at: dt.datetime | None
    #: Distinct recalls: records of one recall from several sources count once.
    recalls_loaded: int = 0
    #: The newest recall date in the data: with the last import, what "how fresh" means (spec 4b.10).
    newest_recall: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


# Similarity costs grow with the text; the identifying words come first anyway.
SEARCH_TEXT_MAX_CHARS = 300


def search_text(record: RecallRecord) -> str:
    """Brands, title, product names and models, folded and capped, for name look-ups."""
    parts = [*record.brands, record.title, *record.product_names, *record.model_numbers, record.category or ""]
    text = " ".join(dict.fromkeys(p.strip() for p in parts if p and p.strip())).lower()
    return text[:SEARCH_TEXT_MAX_CHARS]


_UPSERT = """
INSERT INTO recalls (agency, recall_number, recall_date, title, product_names, brands, model_numbers,
                     upcs, category, hazard, remedy, url, source, search_text, raw,
                     search_doc, name_text, brand_keys, model_keys, compact_text, slug, deaths, serious_injuries,
                     incidents, units, reannounced, search_version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb,
        $16::tsvector, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)
ON CONFLICT (agency, recall_number) DO UPDATE SET
    recall_date = EXCLUDED.recall_date, title = EXCLUDED.title, product_names = EXCLUDED.product_names,
    brands = EXCLUDED.brands, model_numbers = EXCLUDED.model_numbers, upcs = EXCLUDED.upcs,
    category = EXCLUDED.category, hazard = EXCLUDED.hazard, remedy = EXCLUDED.remedy, url = EXCLUDED.url,
    source = EXCLUDED.source, search_text = EXCLUDED.search_text, raw = EXCLUDED.raw,
    search_doc = EXCLUDED.search_doc, name_text = EXCLUDED.name_text, brand_keys = EXCLUDED.brand_keys,
    model_keys = EXCLUDED.model_keys, compact_text = EXCLUDED.compact_text, slug = EXCLUDED.slug,
    deaths = EXCLUDED.deaths, serious_injuries = EXCLUDED.serious_injuries, incidents = EXCLUDED.incidents,
    units = EXCLUDED.units, reannounced = EXCLUDED.reannounced, search_version = EXCLUDED.search_version,
    updated_at = now()
WHERE (recalls.recall_date, recalls.title, recalls.product_names, recalls.brands, recalls.model_numbers,
       recalls.upcs, recalls.category, recalls.hazard, recalls.remedy, recalls.url, recalls.search_text, recalls.raw,
       recalls.search_doc, recalls.name_text, recalls.brand_keys, recalls.model_keys, recalls.compact_text,
       recalls.slug, recalls.deaths, recalls.serious_injuries, recalls.incidents, recalls.units,
       recalls.reannounced, recalls.search_version)
      IS DISTINCT FROM
      (EXCLUDED.recall_date, EXCLUDED.title, EXCLUDED.product_names, EXCLUDED.brands, EXCLUDED.model_numbers,
       EXCLUDED.upcs, EXCLUDED.category, EXCLUDED.hazard, EXCLUDED.remedy, EXCLUDED.url, EXCLUDED.search_text,
       EXCLUDED.raw, EXCLUDED.search_doc, EXCLUDED.name_text, EXCLUDED.brand_keys, EXCLUDED.model_keys,
       EXCLUDED.compact_text, EXCLUDED.slug, EXCLUDED.deaths, EXCLUDED.serious_injuries, EXCLUDED.incidents,
       EXCLUDED.units, EXCLUDED.reannounced, EXCLUDED.search_version)
RETURNING (xmax = 0) AS inserted
"""


async def upsert(conn: asyncpg.Connection, records: Iterable[RecallRecord]) -> UpsertCounts:
    """Insert new records, update changed ones, leave identical ones alone.

    The search columns (`recalls.derive`) are written with the record; which
    records are one recall is settled afterwards by `recalls.reindex.refresh`.
    """
    inserted = updated = unchanged = 0
    statement = await conn.prepare(_UPSERT)
    for r in records:
        row = await statement.fetchrow(
            r.agency, r.recall_number, r.recall_date, r.title, list(r.product_names), list(r.brands),
            list(r.model_numbers), list(r.upcs), r.category, r.hazard, r.remedy, r.url, r.source,
            search_text(r), json.dumps(r.raw, sort_keys=True, default=str), *derive(r).columns(),
        )
        if row is None:
            unchanged += 1
        elif row["inserted"]:
            inserted += 1
        else:
            updated += 1
    return UpsertCounts(inserted, updated, unchanged)


async def start_import(conn: asyncpg.Connection, source: str) -> int:
    return await conn.fetchval("INSERT INTO recall_imports (source) VALUES ($1) RETURNING id", source)


async def finish_import(
    conn: asyncpg.Connection, import_id: int, *, read: int, counts: UpsertCounts, rejected: int,
    cursor_date: dt.date | None = None,
) -> None:
    await conn.execute(
        """UPDATE recall_imports SET finished_at = now(), records_read = $2, inserted = $3, updated = $4,
           rejected = $5, cursor_date = $6 WHERE id = $1""",
        import_id, read, counts.inserted, counts.updated, rejected, cursor_date,
    )


async def last_sync_date(conn: asyncpg.Connection, source: str) -> dt.date | None:
    return await conn.fetchval(
        "SELECT max(cursor_date) FROM recall_imports WHERE source = $1 AND finished_at IS NOT NULL", source
    )


async def freshness(conn: asyncpg.Connection) -> Freshness:
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM recalls) AS n,
                  (SELECT count(DISTINCT coalesce(recall_group, agency || '-' || recall_number)) FROM recalls) AS groups,
                  (SELECT max(finished_at) FROM recall_imports WHERE finished_at IS NOT NULL) AS at,
                  (SELECT max(recall_date) FROM recalls) AS newest"""
    )
    return Freshness(records_loaded=row["n"], last_import_at=row["at"], recalls_loaded=row["groups"],
                     newest_recall=row["newest"])


def _whole_groups(where: str, order: str) -> str:
    """Rows of every recall group with a record matching `where` ($1), best `order` first, $2 groups.

    Both halves join on indexed columns: a record not grouped yet (between an
    upsert and `recalls.reindex`) stands for itself.
    """
    return f"""
WITH hit AS (SELECT recall_group, agency, recall_number, {order} AS rank FROM recalls WHERE {where}),
top AS (
    SELECT coalesce(recall_group, agency || '-' || recall_number) AS grp, min(recall_group) AS recall_group,
           min(agency) AS agency, min(recall_number) AS recall_number, min(rank) AS rank
    FROM hit GROUP BY 1 ORDER BY min(rank) LIMIT $2
)
SELECT {MEMBER_COLUMNS}, top.rank AS group_rank FROM top JOIN recalls m ON m.recall_group = top.recall_group
UNION ALL
SELECT {MEMBER_COLUMNS}, top.rank AS group_rank FROM top
JOIN recalls m ON top.recall_group IS NULL AND m.agency = top.agency AND m.recall_number = top.recall_number
ORDER BY group_rank, agency, recall_number
"""


# Newest first: with several recalls of one code, the latest is the one to act on;
# of records of one date, the richer source's, then the id, so the order never varies.
_NEWEST = f"row_number() OVER (ORDER BY recall_date DESC NULLS LAST, {source_rank_sql('source')}, agency, recall_number)"
# The keys are read through a sub-select so that PostgreSQL keeps one generic plan per
# connection: given the array itself, it estimates the hits exactly, finds that plan cheaper
# and re-plans these statements on every call (0.3 ms of its CPU, three quarters of the look-up's).
_BY_CODES = _whole_groups("upcs && (SELECT $1::text[])", _NEWEST)
_BY_MODEL = _whole_groups("model_keys && (SELECT $1::text[])", _NEWEST)
_IN_CATEGORY = _whole_groups(
    "lower(category) LIKE '%' || $1 || '%' OR search_text LIKE '%' || $1 || '%'", _NEWEST
)


async def find_by_codes(conn: asyncpg.Connection, codes: Sequence[str], limit: int = DEFAULT_LIMIT) -> list[Recall]:
    """Recalls listing any of `codes` (GTIN-14 keys and other spellings), newest first."""
    return merge_groups(await conn.fetch(_BY_CODES, list(codes), limit), "upc")


async def find_by_model(conn: asyncpg.Connection, model: str, limit: int = DEFAULT_LIMIT) -> list[Recall]:
    """Recalls naming this model number, compared without case or separators ("XW-A19" = "xw a19")."""
    key = model_key(model)
    if not key:
        return []
    return merge_groups(await conn.fetch(_BY_MODEL, [key], limit), "model")


async def find_by_name(
    conn: asyncpg.Connection, text: str, *, brand: str | None = None, limit: int = DEFAULT_LIMIT,
) -> list[Recall]:
    """Recalls whose names match `text`, narrowed by `brand` among records that have one (`recalls.search`)."""
    if not text.strip() and not brand:
        return []
    return await name_search(conn, text, brand=brand, limit=limit)


async def recalled_in_category(conn: asyncpg.Connection, category: str, limit: int = DEFAULT_LIMIT) -> list[Recall]:
    """Recent recalls whose category or text names this category (for alternatives)."""
    needle = category.lower().strip()
    return merge_groups(await conn.fetch(_IN_CATEGORY, needle, limit), "category")
