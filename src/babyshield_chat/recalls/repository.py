"""The recalls table: idempotent upserts, look-ups, and the data's age.

Look-ups go from the most to the least certain key: an exact GTIN (every
spelling of the scanned code), a model number, then trigram similarity of
brand + product name against a folded search text. Each match says how it
was found, so an answer can say "matched by UPC" or "a similar name".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Sequence

import asyncpg

from babyshield_chat.recalls.formats import RecallRecord

# Calibrated on the shared data: real names score 0.7-1.0 against their recall,
# unrelated names that share one common word ("stroller") about 0.4-0.5.
DEFAULT_NAME_SIMILARITY = 0.6
DEFAULT_LIMIT = 5


@dataclasses.dataclass(frozen=True)
class RecallMatch:
    agency: str
    recall_number: str
    recall_date: dt.date | None
    title: str
    hazard: str | None
    remedy: str | None
    url: str | None
    category: str | None
    match_kind: str  # "upc" | "model" | "name"
    score: float = 1.0

    def as_fact(self) -> dict[str, object]:
        return {
            "recall_number": self.recall_number,
            "agency": self.agency,
            "date": self.recall_date.isoformat() if self.recall_date else None,
            "title": self.title,
            "hazard": self.hazard,
            "remedy": self.remedy,
            "url": self.url,
            "match_kind": self.match_kind,
        }


@dataclasses.dataclass(frozen=True)
class Freshness:
    records_loaded: int
    last_import_at: dt.datetime | None


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
                     upcs, category, hazard, remedy, url, source, search_text, raw)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)
ON CONFLICT (agency, recall_number) DO UPDATE SET
    recall_date = EXCLUDED.recall_date, title = EXCLUDED.title, product_names = EXCLUDED.product_names,
    brands = EXCLUDED.brands, model_numbers = EXCLUDED.model_numbers, upcs = EXCLUDED.upcs,
    category = EXCLUDED.category, hazard = EXCLUDED.hazard, remedy = EXCLUDED.remedy, url = EXCLUDED.url,
    source = EXCLUDED.source, search_text = EXCLUDED.search_text, raw = EXCLUDED.raw, updated_at = now()
WHERE (recalls.recall_date, recalls.title, recalls.product_names, recalls.brands, recalls.model_numbers,
       recalls.upcs, recalls.category, recalls.hazard, recalls.remedy, recalls.url, recalls.search_text, recalls.raw)
      IS DISTINCT FROM
      (EXCLUDED.recall_date, EXCLUDED.title, EXCLUDED.product_names, EXCLUDED.brands, EXCLUDED.model_numbers,
       EXCLUDED.upcs, EXCLUDED.category, EXCLUDED.hazard, EXCLUDED.remedy, EXCLUDED.url, EXCLUDED.search_text,
       EXCLUDED.raw)
RETURNING (xmax = 0) AS inserted
"""


async def upsert(conn: asyncpg.Connection, records: Iterable[RecallRecord]) -> UpsertCounts:
    """Insert new records, update changed ones, leave identical ones alone."""
    inserted = updated = unchanged = 0
    statement = await conn.prepare(_UPSERT)
    for r in records:
        row = await statement.fetchrow(
            r.agency, r.recall_number, r.recall_date, r.title, list(r.product_names), list(r.brands),
            list(r.model_numbers), list(r.upcs), r.category, r.hazard, r.remedy, r.url, r.source,
            search_text(r), json.dumps(r.raw, sort_keys=True, default=str),
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
                  (SELECT max(finished_at) FROM recall_imports WHERE finished_at IS NOT NULL) AS at"""
    )
    return Freshness(records_loaded=row["n"], last_import_at=row["at"])


def _match(row: asyncpg.Record, kind: str) -> RecallMatch:
    return RecallMatch(
        agency=row["agency"], recall_number=row["recall_number"], recall_date=row["recall_date"],
        title=row["title"], hazard=row["hazard"], remedy=row["remedy"], url=row["url"],
        category=row["category"], match_kind=kind, score=float(row["score"]),
    )


_COLUMNS = "agency, recall_number, recall_date, title, hazard, remedy, url, category"


async def find_by_codes(conn: asyncpg.Connection, codes: Sequence[str], limit: int = DEFAULT_LIMIT) -> list[RecallMatch]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS}, 1.0 AS score FROM recalls WHERE upcs && $1::text[] "
        "ORDER BY recall_date DESC NULLS LAST LIMIT $2",
        list(codes), limit,
    )
    return [_match(r, "upc") for r in rows]


async def find_by_model(conn: asyncpg.Connection, model: str, limit: int = DEFAULT_LIMIT) -> list[RecallMatch]:
    wanted = model.strip().upper()
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS}, 1.0 AS score FROM recalls
            WHERE $1 = ANY (SELECT upper(m) FROM unnest(model_numbers) AS m)
            ORDER BY recall_date DESC NULLS LAST LIMIT $2""",
        wanted, limit,
    )
    return [_match(r, "model") for r in rows]


async def find_by_name(
    conn: asyncpg.Connection, text: str, *, brand: str | None = None,
    threshold: float = DEFAULT_NAME_SIMILARITY, limit: int = DEFAULT_LIMIT,
) -> list[RecallMatch]:
    """Trigram word similarity of the name against each recall's search text.

    With a brand, the brand must appear in the record too: "Fisher-Price
    sleeper" must not match another maker's sleeper. `<%` and `<<->` let the
    GiST trigram index answer as a nearest-neighbour scan; `<%` applies
    pg_trgm's default word-similarity threshold (0.6), so `threshold` can only
    raise the bar.
    """
    query = text.lower().strip()
    if not query:
        return []
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS}, 1 - ($1 <<-> search_text) AS score FROM recalls
            WHERE $1 <% search_text AND 1 - ($1 <<-> search_text) >= $2
              AND ($3::text IS NULL OR search_text LIKE '%' || $3 || '%')
            ORDER BY $1 <<-> search_text, recall_date DESC NULLS LAST LIMIT $4""",
        query, threshold, brand.lower().strip() if brand else None, limit,
    )
    return [_match(r, "name") for r in rows]


async def recalled_in_category(conn: asyncpg.Connection, category: str, limit: int = DEFAULT_LIMIT) -> list[RecallMatch]:
    """Recent recalls whose category or text names this category (for alternatives)."""
    needle = category.lower().strip()
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS}, 1.0 AS score FROM recalls
            WHERE lower(category) LIKE '%' || $1 || '%' OR search_text LIKE '%' || $1 || '%'
            ORDER BY recall_date DESC NULLS LAST LIMIT $2""",
        needle, limit,
    )
    return [_match(r, "category") for r in rows]
