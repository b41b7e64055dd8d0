"""Keep the recall search columns in step with the stored records.

`refresh(conn)` runs after migrations (`prepare_database`, which
`babyshield-chat migrate`, `serve` and `recalls import|sync` run first) and at
the end of every import or sync, and does only what is needed:

1. rows whose `search_version` is older than `derive.SEARCH_VERSION` (every
   row of a database imported before the search existed) get their search
   columns derived again from their stored columns;
2. every row's `recall_group` is recomputed when rows changed (a new source
   can join two records into one recall), and only changed groups are written;
3. the vocabulary tables (`recall_terms`, `recall_brands`) are rebuilt when
   anything changed, or when they are empty while recalls are not; then a
   recall that no source gives a brand gets the known brand its product name
   starts with (`infer_group_brands`).

Nothing here reads a recall file, so an existing database is brought up to
date by `migrate` alone, and running it twice changes nothing the second time.
The vocabulary is replaced with DELETE + INSERT, not TRUNCATE, so chat
searches running during an import keep reading the old one instead of
waiting for the import's transaction. Whoever ran a `refresh` that changed
something calls `vacuum` once its transaction is over.
"""

from __future__ import annotations

import dataclasses

import asyncpg

from babyshield_chat.db.migrate import Migration, migrate_url
from babyshield_chat.recalls.derive import JOIN_POSITION_BASE, SEARCH_VERSION, derive, record_from_row
from babyshield_chat.recalls.grouping import GroupMember, group_ids
from babyshield_chat.recalls.search import DEFAULT_MIN_BRAND_SHARE

#: Rows re-derived per round trip.
DEFAULT_BATCH = 500
#: Shortest brand key taken from the start of a product name ("ikea" yes, "gap" no).
MIN_INFERRED_BRAND_CHARS = 4

_STALE_ROWS = """
SELECT agency, recall_number, source, recall_date, title, product_names, brands, model_numbers, upcs,
       category, hazard, remedy, url, raw
FROM recalls WHERE search_version < $1 ORDER BY agency, recall_number LIMIT $2
"""

_WRITE_FIELDS = """
UPDATE recalls SET search_doc = $3::tsvector, name_text = $4, brand_keys = $5, model_keys = $6,
       compact_text = $7, slug = $8, deaths = $9, serious_injuries = $10, incidents = $11, units = $12,
       reannounced = $13, search_version = $14
WHERE agency = $1 AND recall_number = $2
"""


@dataclasses.dataclass(frozen=True)
class RefreshReport:
    rederived: int
    regrouped: int
    vocabulary_rebuilt: bool


async def rederive_stale(conn: asyncpg.Connection, batch: int = DEFAULT_BATCH) -> int:
    """Derive the search columns of rows written by an older `SEARCH_VERSION`; returns how many."""
    done = 0
    while True:
        rows = await conn.fetch(_STALE_ROWS, SEARCH_VERSION, batch)
        if not rows:
            return done
        await conn.executemany(
            _WRITE_FIELDS,
            [(r["agency"], r["recall_number"], *derive(record_from_row(r)).columns()) for r in rows],
        )
        done += len(rows)


async def regroup(conn: asyncpg.Connection) -> int:
    """Recompute which records are one recall; returns how many rows changed group."""
    rows = await conn.fetch("SELECT agency, recall_number, source, slug, recall_date, recall_group FROM recalls")
    ids = group_ids(
        GroupMember(r["agency"], r["recall_number"], r["source"], r["slug"], r["recall_date"]) for r in rows
    )
    changed = [
        (r["agency"], r["recall_number"], ids[(r["agency"], r["recall_number"])])
        for r in rows
        if r["recall_group"] != ids[(r["agency"], r["recall_number"])]
    ]
    if changed:
        await conn.executemany(
            "UPDATE recalls SET recall_group = $3 WHERE agency = $1 AND recall_number = $2", changed
        )
    # A recall's brands are those of all its records: the index row of a
    # recall has none, the 2013 record of the same recall names its maker.
    await conn.execute(
        """UPDATE recalls r SET group_brands = g.keys
           FROM (SELECT recall_group, coalesce(array_agg(DISTINCT k ORDER BY k) FILTER (WHERE k IS NOT NULL), '{}') AS keys
                 FROM recalls LEFT JOIN LATERAL unnest(brand_keys) AS k ON true GROUP BY recall_group) AS g
           WHERE r.recall_group = g.recall_group AND r.group_brands IS DISTINCT FROM g.keys"""
    )
    return len(changed)


async def rebuild_vocabulary(conn: asyncpg.Connection) -> None:
    """Document frequencies per word and per brand key, counted in recalls (groups), not records."""
    await conn.execute("DELETE FROM recall_terms")
    await conn.execute(
        """INSERT INTO recall_terms (term, df, single)
           SELECT t.lexeme, count(DISTINCT r.recall_group), bool_or(t.positions[1] < $1)
           FROM recalls r, unnest(r.search_doc) AS t
           GROUP BY t.lexeme""",
        JOIN_POSITION_BASE,
    )
    await conn.execute("DELETE FROM recall_brands")
    await conn.execute(
        """INSERT INTO recall_brands (key, df)
           SELECT k, count(DISTINCT r.recall_group) FROM recalls r, unnest(r.brand_keys) AS k GROUP BY k"""
    )


async def infer_group_brands(conn: asyncpg.Connection, min_share: float = DEFAULT_MIN_BRAND_SHARE) -> int:
    """Give a recall with no brand the known brand its product name starts with ("Maclaren strollers").

    Known means a brand key of another record that is used as a brand in at
    least `min_share` of the recalls whose text contains it (so "baby" in
    "Baby Loungers" is not taken for a brand). Returns the rows given one.
    """
    status = await conn.execute(
        """UPDATE recalls r SET group_brands = inferred.keys
           FROM (SELECT x.recall_group, array_agg(DISTINCT b.key ORDER BY b.key) AS keys
                 FROM recalls x
                 JOIN recall_brands b ON starts_with(x.compact_text, b.key)
                 LEFT JOIN recall_terms t ON t.term = b.key
                 WHERE cardinality(x.group_brands) = 0 AND length(b.key) >= $1
                   AND b.df >= $2 * coalesce(t.df, b.df)
                 GROUP BY x.recall_group) AS inferred
           WHERE r.recall_group = inferred.recall_group AND cardinality(r.group_brands) = 0""",
        MIN_INFERRED_BRAND_CHARS, min_share,
    )
    return int(status.split()[-1])


async def refresh(conn: asyncpg.Connection, *, changed: bool = False) -> RefreshReport:
    """Bring every derived column and table up to date; `changed` says an import just wrote rows."""
    async with conn.transaction():
        rederived = await rederive_stale(conn)
        regrouped = await regroup(conn) if (changed or rederived) else await _regroup_if_missing(conn)
        empty_vocabulary = await conn.fetchval(
            "SELECT NOT EXISTS (SELECT 1 FROM recall_terms) AND EXISTS (SELECT 1 FROM recalls)"
        )
        rebuild = bool(changed or rederived or regrouped or empty_vocabulary)
        if rebuild:
            await rebuild_vocabulary(conn)
            await infer_group_brands(conn)
    return RefreshReport(rederived=rederived, regrouped=regrouped, vocabulary_rebuilt=rebuild)


async def vacuum(conn: asyncpg.Connection) -> None:
    """VACUUM (ANALYZE) the search's tables, outside any transaction, after `refresh` changed them.

    An import writes each row two to four times (upsert, group, brands), so
    right after it the table is mostly dead rows and without statistics:
    searches then took twice as long until autovacuum came by (p50 3.7 ms ->
    1.5 ms on the shared data).
    """
    await conn.execute("VACUUM (ANALYZE) recalls, recall_terms, recall_brands")


async def _regroup_if_missing(conn: asyncpg.Connection) -> int:
    if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM recalls WHERE recall_group IS NULL)"):
        return await regroup(conn)
    return 0


async def prepare_database(url: str) -> list[Migration]:
    """Apply pending migrations, then bring the search columns up to date under the same lock.

    What every command that opens the database runs first, so a database
    written by an older version is searchable after `migrate` alone. Returns
    the migrations applied by this call.
    """
    return await migrate_url(url, then=_refresh_after_migrations)


async def _refresh_after_migrations(conn: asyncpg.Connection) -> None:
    if (await refresh(conn)).vocabulary_rebuilt:
        await vacuum(conn)
