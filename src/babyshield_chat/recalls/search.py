"""Find the recalls a product name refers to, most relevant and most serious first.

`search(conn, phrase, brand=...)` answers "which recalls is this product in?"
for a product phrase ("fisher price rock n play", "stork craft drop side
crib") and an optional brand from the scanned product. Three steps:

1. **Vocabulary** (one query): each word of the phrase (`normalise.words`,
   minus filler words) is looked up in `recall_terms`. A word the data does
   not know is replaced by its nearest known spelling by trigram similarity
   ("fischer" -> "fisher") when that is close enough. Two adjacent words whose
   joined form is known ("high chair" -> "highchair"; "play yard" also
   "playard", `SEAM_SPELLINGS`) may match that form.
   Without a product brand, a run of one to three words whose joined form is a
   brand key in `recall_brands`, and is used as a brand in most records that
   contain it ("fisher price", "stork craft", "graco"; not "baby"), is taken
   as the brand. Each remaining word is a *unit* weighted by rarity:
   `1 / log2(2 + df)`, so "stork" counts for more than "crib", and a word no
   recall contains weighs most of all; "baby", "infant", "kids" and such count
   a quarter (`SOFT_WORD_SCALE`).
2. **Match and rank** (one query, full-text search with a GIN index): records
   containing any unit. Per record, `coverage` is the weighted share of units
   found in the name, brand, model or slug fields (a unit found only in the
   hazard text counts half); below `DEFAULT_MIN_COVERAGE` a record is not a
   match, nor is one without the phrase's last word (English names end with
   the noun: "vista *stroller*" must not match a "Vista" window shade). The brand narrows only among records that have one: a record whose
   brand keys or text name the brand matches it, a record with other brands
   is excluded (brands are counted per recall, over all its sources), a record
   with no brand at all is kept (ranked after those
   that match) for a scanned product's brand, but not for a maker the parent
   named in the phrase: "halo bassinest" names Halo, and a record that carries
   "halo" nowhere (brands, names, slug) is another maker's bassinet, however
   well its words match. Ranking, best first: the brand matched; every unit found; the
   phrase's last two words found in that order in the name or slug ("rock
   <-> play", "side <-> crib"); coverage (in tenths); "every unit" and
   coverage leave out the soft words ("newborn", "baby": the 2019 recall of
   all Rock 'n Play models is as relevant to a "Newborn Rock 'n Play" as the
   newborn model's own 2013 mold recall, and severity then decides); then
   severity (deaths, serious injuries, incidents, units sold,
   re-announcement); then recency; then trigram word similarity of the phrase
   to the record's name; last the richer, newer source
   (`grouping.SOURCE_PREFERENCE`) and the record id, so records that tie on
   everything (one recall's records from two files) always come in one order
   and a question gets the same answer every time.
3. **One recall, one entry**: records are ranked individually, then the best
   record of each recall group (`recalls.grouping`) stands for its recall,
   and every record of the returned groups is merged into one `Recall` that
   lists its sources.

What it cannot do: it knows only the words of the recall data (a product
sold under a name no recall uses is not found), it does not know that a
"pack n play" is a play yard, and a brand the data spells only in a long
press-release slug it may not extract (such records have no brand, so they
are still found, only ranked after brand matches).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import asyncpg

from babyshield_chat.recalls.grouping import source_rank_sql
from babyshield_chat.recalls.normalise import MIN_BRAND_KEY_CHARS, brand_key, clean, words
from babyshield_chat.recalls.phrase import SOFT_WORDS
from babyshield_chat.recalls.results import MEMBER_COLUMNS, Recall, merge_groups

#: Share of the weighted units a record must contain to be a match.
DEFAULT_MIN_COVERAGE = 0.75
#: A misspelt word is replaced by a known one at least this similar (pg_trgm similarity).
DEFAULT_MIN_SPELLING_SIMILARITY = 0.4
#: When no word of the phrase is known as typed, a respelling must be at least this similar: a lone
#: unknown word ("galletas") is more likely another language than a typo of a known one ("gallery").
DEFAULT_MIN_LONE_SPELLING_SIMILARITY = 0.5
#: Words shorter than this are never respelt (too few trigrams to judge: "rice" is not a typo of "rico").
MIN_RESPELL_CHARS = 5
#: A respelling differs in length by at most this much ("fischer" -> "fisher", never -> "fischerform").
MAX_RESPELL_LENGTH_CHANGE = 2
#: A run of words is a brand when at least this share of the recalls containing it have it as a brand.
DEFAULT_MIN_BRAND_SHARE = 0.5
#: The longest run of words tried as a brand ("dream on me" is three).
MAX_BRAND_WORDS = 3
DEFAULT_LIMIT = 5

#: "baby", "infant", "kids" describe more than they name ("baby lounger" is a
#: Boppy "Newborn Lounger"): they count this much of a word's weight.
SOFT_WORD_SCALE = 0.25

#: One-word spellings of a two-word name that drop the letter at the seam ("play yard" is also "playard"),
#: besides the plain join ("playyard").
SEAM_SPELLINGS: dict[str, str] = {"playyard": "playard"}

#: Words that never identify a product in a name search.
FILLER_WORDS: frozenset[str] = frozenset(
    """a an the of for by with from to in on at all any model my our your this that these those it its new
    one some brand product item type kind sort version""".split()
)


@dataclass(frozen=True)
class Unit:
    """One word of the phrase, the lexemes that count as finding it, and its weight."""

    word: str
    lexemes: tuple[str, ...]
    weight: float

    def tsquery(self, weights: str) -> str:
        return " | ".join(f"{lexeme}:{weights}" for lexeme in self.lexemes)


@dataclass(frozen=True)
class Plan:
    """What one search looks for, decided from the phrase and the vocabulary."""

    units: tuple[Unit, ...]
    brand: str | None
    text: str  # the phrase, cleaned, for trigram similarity
    #: The brand was named in the phrase itself (not given by a scanned product): a record must carry it.
    brand_named: bool = False

    @property
    def total(self) -> float:
        return sum(u.weight for u in self.units)

    @property
    def hard_total(self) -> float:
        """The weight of the words that name the product: all but "baby", "newborn", "kids" (the total if none)."""
        return sum(u.weight for u in self.units if u.word not in SOFT_WORDS) or self.total

    @property
    def any_query(self) -> str | None:
        lexemes = {lexeme for u in self.units for lexeme in u.lexemes}
        return " | ".join(sorted(lexemes)) or None

    @property
    def head_query(self) -> str | None:
        """The last word of a phrase of several: the noun it names ("drop side *crib*"), which must be found.

        It must be in the product's name (or model numbers): a cereal is not the promotional toy of a recall
        whose page slug says "cereal".
        """
        return self.units[-1].tsquery("A") if len(self.units) >= 2 else None

    @property
    def phrase_query(self) -> str | None:
        """The last two words in order, in the name or slug: the product's noun and what it is ("rock <-> play")."""
        if len(self.units) < 2:
            return None
        return " <-> ".join(f"({u.tsquery('AC')})" for u in self.units[-2:])


def weight(df: int) -> float:
    """How much finding a word counts: 1 for a word no recall has, less the more recalls have it."""
    return 1.0 / math.log2(2 + max(df, 0))


def phrase_words(phrase: str) -> list[str]:
    """The words of a phrase the search looks for, in order."""
    return [w for w in words(phrase) if w not in FILLER_WORDS]


def brand_windows(phrase: str) -> list[tuple[int, int, str]]:
    """(start, end, key) for every run of 1..MAX_BRAND_WORDS cleaned words, longest first."""
    tokens = clean(phrase).split()
    out = []
    for size in range(min(MAX_BRAND_WORDS, len(tokens)), 0, -1):
        for start in range(len(tokens) - size + 1):
            key = "".join(tokens[start : start + size])
            if len(key) >= MIN_BRAND_KEY_CHARS:
                out.append((start, start + size, key))
    return out


# Words: known ones with their df; unknown ones (not pair joins) with their
# closest known spelling. Brands: the candidate runs that are brand keys.
_VOCABULARY = """
SELECT 'word' AS kind, w.word AS key, t.df AS df, fix.term AS fix, fix.df AS fix_df, fix.sim AS sim,
       NULL::int AS brand_df
FROM unnest($1::text[]) AS w(word)
LEFT JOIN recall_terms t ON t.term = w.word
LEFT JOIN LATERAL (
    SELECT f.term, f.df, similarity(f.term, w.word) AS sim FROM recall_terms f
    WHERE t.term IS NULL AND length(w.word) >= $4 AND f.single AND f.term % w.word
      AND abs(length(f.term) - length(w.word)) <= $5
    ORDER BY sim DESC, f.df DESC, f.term LIMIT 1
) AS fix ON true
UNION ALL
SELECT 'word', t.term, t.df, NULL, NULL, NULL, NULL FROM recall_terms t WHERE t.term = ANY($2::text[])
UNION ALL
SELECT 'brand', b.key, t.df, NULL, NULL, NULL, b.df
FROM recall_brands b LEFT JOIN recall_terms t ON t.term = b.key
WHERE b.key = ANY($3::text[])
"""


async def plan(conn: asyncpg.Connection, phrase: str, brand: str | None = None) -> Plan:
    """Decide the units and the brand of a search (one round trip)."""
    given_brand = brand_key(brand) if brand else None
    windows = brand_windows(phrase)
    tokens = phrase_words(phrase)
    joins = [a + b for a, b in zip(tokens, tokens[1:], strict=False)]
    joins += [SEAM_SPELLINGS[j] for j in joins if j in SEAM_SPELLINGS]
    rows = await conn.fetch(
        _VOCABULARY, tokens, joins, [k for _, _, k in windows], MIN_RESPELL_CHARS, MAX_RESPELL_LENGTH_CHANGE
    )
    known: dict[str, int] = {}
    fixes: dict[str, tuple[str, int, float]] = {}
    brands: dict[str, bool] = {}
    for row in rows:
        if row["kind"] == "brand":
            term_df = row["df"] or row["brand_df"]
            brands[row["key"]] = row["brand_df"] >= DEFAULT_MIN_BRAND_SHARE * term_df
        elif row["df"] is not None:
            known[row["key"]] = row["df"]
        elif (row["fix"] is not None and row["sim"] >= DEFAULT_MIN_SPELLING_SIMILARITY
              and not (row["fix"].startswith(row["key"]) or row["key"].startswith(row["fix"]))):
            # A known word that only adds or drops an ending ("cooky" -> "cook", "puff" -> "puffy") is another
            # word, not the typo of this one.
            fixes[row["key"]] = (row["fix"], row["fix_df"], row["sim"])
    if not any(token in known for token in tokens):
        fixes = {w: fix for w, fix in fixes.items() if fix[2] >= DEFAULT_MIN_LONE_SPELLING_SIMILARITY}

    # The brand's words leave the phrase: the product brand's when the name
    # repeats it ("Fisher-Price Rock 'n Play"), else a brand found in the phrase.
    if given_brand:
        detected = next(((s, e, k) for s, e, k in windows if k == given_brand), None)
    else:
        detected = next(((s, e, k) for s, e, k in windows if brands.get(k)), None)
    text = phrase
    if detected:
        start, end, _ = detected
        cleaned = clean(phrase).split()
        text = " ".join(cleaned[:start] + cleaned[end:])
        tokens = phrase_words(text)
    if detected or given_brand:
        # With a brand, "Atico Children's" is the Atico recalls: a word that
        # only says "for children" adds nothing to find them by.
        tokens = [t for t in tokens if t not in SOFT_WORDS] if all(t in SOFT_WORDS for t in tokens) else tokens
    units = []
    for index, word in enumerate(tokens):
        lexemes = [word]
        df = known.get(word, 0)
        if word not in known and word in fixes:
            lexemes, df = [fixes[word][0]], fixes[word][1]
        neighbours = (tokens[index - 1] + word if index else None,
                      word + tokens[index + 1] if index + 1 < len(tokens) else None)
        spellings = [spelling for pair in neighbours if pair for spelling in (pair, SEAM_SPELLINGS.get(pair))]
        lexemes += [spelling for spelling in spellings if spelling and spelling in known]
        scale = SOFT_WORD_SCALE if word in SOFT_WORDS else 1.0
        units.append(Unit(word=word, lexemes=tuple(dict.fromkeys(lexemes)), weight=scale * weight(df)))
    return Plan(units=tuple(units), brand=given_brand or (detected[2] if detected else None), text=clean(text),
                brand_named=bool(detected) and not given_brand)


# $1..$3 units (key-field query, hazard query, weight); $4 phrase query; $5
# brand key; $6 phrase text; $7 retrieval query; $8 total weight; $9 minimum
# coverage; $10 recalls wanted; $11 head query; $12 records ranked before the
# trigram tie-break; $13 which units are soft words; $14 the weight of the others; $15 whether a record
# must carry the brand (one the parent named).
_RANKED = f"""
WITH units AS (
    SELECT to_tsquery('simple', u.key_q) AS key_q, to_tsquery('simple', u.hazard_q) AS hazard_q, u.w, u.soft
    FROM unnest($1::text[], $2::text[], $3::float8[], $13::bool[]) AS u(key_q, hazard_q, w, soft)
),
candidates AS MATERIALIZED (
    SELECT r.recall_group, r.agency, r.recall_number, {source_rank_sql("r.source")} AS source_rank,
           r.recall_date, r.deaths, r.serious_injuries, r.incidents, r.units, r.reannounced,
           r.name_text, hits.key_hits, hits.hazard_hits, hits.hard_hits, hits.hard_hazard_hits,
           coalesce(r.search_doc @@ to_tsquery('simple', $4::text), false) AS phrase,
           CASE WHEN $5::text IS NULL THEN NULL
                WHEN strpos(r.compact_text, $5) > 0 OR $5 = ANY (r.group_brands) THEN true
                WHEN cardinality(r.group_brands) = 0 THEN NULL
                ELSE false END AS brand_ok
    FROM recalls r
    CROSS JOIN LATERAL (
        SELECT coalesce(sum(u.w) FILTER (WHERE r.search_doc @@ u.key_q), 0) AS key_hits,
               coalesce(sum(u.w) FILTER (WHERE r.search_doc @@ u.hazard_q AND NOT r.search_doc @@ u.key_q), 0)
                   AS hazard_hits,
               coalesce(sum(u.w) FILTER (WHERE r.search_doc @@ u.key_q
                                         AND (NOT u.soft OR $14::float8 = $8::float8)), 0) AS hard_hits,
               coalesce(sum(u.w) FILTER (WHERE r.search_doc @@ u.hazard_q AND NOT r.search_doc @@ u.key_q
                                         AND (NOT u.soft OR $14::float8 = $8::float8)), 0) AS hard_hazard_hits
        FROM units u
    ) AS hits
    WHERE CASE WHEN $7::text IS NOT NULL THEN r.search_doc @@ to_tsquery('simple', $7)
               ELSE r.compact_text LIKE '%' || $5 || '%' OR r.group_brands @> ARRAY[$5::text] END
      AND ($11::text IS NULL OR r.search_doc @@ to_tsquery('simple', $11))
),
kept AS (
    SELECT c.*, c.hard_hits >= $14::float8 * 0.999 AS complete,
           floor(10 * (c.hard_hits + 0.5 * c.hard_hazard_hits) / $14::float8) AS coverage
    FROM candidates c
    WHERE (c.brand_ok IS TRUE OR (c.brand_ok IS NULL AND NOT $15::bool))
      AND (c.key_hits + 0.5 * c.hazard_hits) >= $9::float8 * $8::float8
),
shortlist AS (
    SELECT k.* FROM kept k
    ORDER BY k.brand_ok IS TRUE DESC, k.complete DESC, k.phrase DESC, k.coverage DESC, k.deaths DESC,
             k.serious_injuries DESC, k.incidents DESC, k.units DESC, k.reannounced DESC,
             k.recall_date DESC NULLS LAST, k.source_rank, k.agency, k.recall_number
    LIMIT $12::int
),
ranked AS (
    SELECT s.recall_group, row_number() OVER (ORDER BY
               s.brand_ok IS TRUE DESC, s.complete DESC, s.phrase DESC, s.coverage DESC, s.deaths DESC,
               s.serious_injuries DESC, s.incidents DESC, s.units DESC, s.reannounced DESC,
               s.recall_date DESC NULLS LAST, word_similarity($6, s.name_text) DESC, s.source_rank, s.agency,
               s.recall_number) AS rank
    FROM shortlist s
),
best AS (SELECT DISTINCT ON (recall_group) recall_group, rank FROM ranked ORDER BY recall_group, rank),
top AS (SELECT recall_group, rank FROM best ORDER BY rank LIMIT $10::int)
SELECT {MEMBER_COLUMNS}, top.rank AS group_rank
FROM top JOIN recalls m ON m.recall_group = top.recall_group
ORDER BY top.rank, m.agency, m.recall_number
"""

#: Records ranked per wanted recall before the trigram tie-break (a recall has one to three records).
SHORTLIST_PER_RECALL = 8


def retrieval_query(query: Plan, min_coverage: float) -> str | None:
    """The full-text query that finds every record that can still reach `min_coverage`.

    A unit heavier than `1 - min_coverage` of the total must be present
    (anywhere: a hazard-only find counts half), so those units are ANDed;
    when no unit is that heavy, any unit will do.
    """
    if not query.units:
        return None
    total = query.total
    required = [u for u in query.units if u.weight > (1 - min_coverage) * total]
    if not required:
        return query.any_query
    return " & ".join(f"({' | '.join(u.lexemes)})" for u in required)


async def run(conn: asyncpg.Connection, query: Plan, *, limit: int = DEFAULT_LIMIT,
              min_coverage: float = DEFAULT_MIN_COVERAGE) -> list[Recall]:
    """The recalls matching a plan, merged per recall, best first."""
    if not query.brand and all(u.word in SOFT_WORDS for u in query.units):
        return []  # nothing left to tell one recall from another ("baby", "kids")
    # A brand-only search has no units: every record naming the brand matches.
    total = query.total if query.units else 1.0
    rows = await conn.fetch(
        _RANKED,
        [u.tsquery("ABC") for u in query.units], [u.tsquery("D") for u in query.units],
        [u.weight for u in query.units], query.phrase_query, query.brand, query.text,
        retrieval_query(query, min_coverage), total, min_coverage if query.units else 0.0, limit,
        query.head_query, limit * SHORTLIST_PER_RECALL, [u.word in SOFT_WORDS for u in query.units],
        query.hard_total if query.units else 1.0, query.brand_named,
    )
    return merge_groups(rows, match_kind="name")


async def search(conn: asyncpg.Connection, phrase: str, *, brand: str | None = None,
                 limit: int = DEFAULT_LIMIT) -> list[Recall]:
    """Recalls whose product names match `phrase` (and `brand`, among records that have one)."""
    return await run(conn, await plan(conn, phrase, brand), limit=limit)
