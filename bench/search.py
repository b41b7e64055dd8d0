"""The recall search's latency on the whole imported corpus (spec section 9: p95 ≤ 10 ms).

What is timed is what `recall_lookup` does for one question once it holds a
connection: take the product phrase out of the question (or use the product
name), plan the search (one round trip: vocabulary, spelling, brand) and run
it (one round trip: full-text match, ranking, every record of the returned
recalls); or the exact look-ups by UPC and by model number. One connection,
queries one after another, so the figure is the search's own cost and not a
queue.

The queries (a few hundred, the same every run: `random.Random(SEED)`) are
built from the imported data the way parents ask: product names cut to a
few words, with and without the brand, lower-cased, with one typo, inside a
question ("we got a ... from my sister, is it recalled?"); the famous
recalls; products that are in no recall; UPCs and model numbers.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from typing import Any

import asyncpg

from babyshield_chat.recalls import repository as repo
from babyshield_chat.recalls.gtin import parse_gtin
from babyshield_chat.recalls.phrase import product_phrase

SEED = 14
#: Recall names sampled from the data to make queries from.
DEFAULT_SAMPLED = 180
#: Passes over the query list (the first, a warm-up, is not counted).
DEFAULT_PASSES = 3
TARGET_P95_SEC = 0.010

FAMOUS = [
    "is the fisher price rock n play recalled??",
    "we got a stork craft drop side crib from my cousin, is it recalled",
    "is the boppy newborn lounger safe?",
    "Has the Peg Perego stroller been recalled?",
    "any recall on the nap nanny?",
    "is my graco pack n play recalled",
    "was the infantino slingrider recalled",
    "4moms mamaroo swing recall",
    "kids ii rocking sleeper recalled?",
    "similac alimentum recall",
]
NOT_RECALLED = [
    "is the uppababy cruz v2 stroller recalled", "nuna pipa car seat recall?", "owlet dream sock safe?",
    "is the snoo smart sleeper recalled", "halo bassinest swivel sleeper", "acme turbo stroller",
    "zyxwv quasar high chair", "doona car seat stroller recall", "skip hop activity center", "babybjorn bouncer bliss",
]
QUESTION_FORMS = [
    "is the {} recalled?", "we got a {} from my sister, is it recalled", "Has the {} been recalled?",
    "any recalls on the {}?", "{} recall", "is my {} safe", "{}",
]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


async def build_queries(conn: asyncpg.Connection) -> list[tuple[str, Any]]:
    """(kind, argument) pairs: ("question", text), ("name", (name, brand)), ("upc", code), ("model", model)."""
    rng = random.Random(SEED)
    rows = await conn.fetch(
        """SELECT title, brands, upcs, model_keys FROM recalls ORDER BY agency, recall_number"""
    )
    sampled = rng.sample(list(rows), min(DEFAULT_SAMPLED, len(rows)))
    queries: list[tuple[str, Any]] = [("question", q) for q in FAMOUS + NOT_RECALLED]
    for row in sampled:
        words = row["title"].replace(";", " ").split()
        name = " ".join(words[: rng.randint(2, 4)])
        brand = row["brands"][0] if row["brands"] else None
        style = rng.random()
        if style < 0.35:
            queries.append(("name", (name, brand)))
        elif style < 0.5:
            typo = " ".join(_typo(w, rng) if i == len(words[:3]) - 1 else w for i, w in enumerate(name.split()))
            queries.append(("question", rng.choice(QUESTION_FORMS).format(typo.lower())))
        else:
            queries.append(("question", rng.choice(QUESTION_FORMS).format(name.lower())))
    for row in rows:
        if row["upcs"] and rng.random() < 0.3:
            queries.append(("upc", row["upcs"][0]))
        if row["model_keys"]:
            queries.append(("model", row["model_keys"][0]))
    queries.append(("upc", "036000291452"))  # a valid code in no recall
    return queries


async def _one(conn: asyncpg.Connection, kind: str, argument: Any) -> bool:
    """Run one look-up as `recall_lookup` does; False when the question names no product (nothing searched)."""
    if kind == "upc":
        await repo.find_by_codes(conn, parse_gtin(argument).candidates)
    elif kind == "model":
        await repo.find_by_model(conn, argument)
    elif kind == "name":
        name, brand = argument
        await repo.find_by_name(conn, name, brand=brand)
    else:
        phrase = product_phrase(argument)
        if phrase is None:
            return False
        await repo.find_by_name(conn, phrase)
    return True


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(database_url: str, passes: int = DEFAULT_PASSES) -> dict[str, Any]:
    conn = await asyncpg.connect(database_url)
    try:
        queries = await build_queries(conn)
        recalls = await conn.fetchval("SELECT count(DISTINCT recall_group) FROM recalls")
        records = await conn.fetchval("SELECT count(*) FROM recalls")
        timings: dict[str, list[float]] = {}
        for number in range(passes):
            for kind, argument in queries:
                started = time.perf_counter()
                searched = await _one(conn, kind, argument)
                elapsed = time.perf_counter() - started
                if number and searched:  # the first pass warms caches and prepared statements
                    timings.setdefault(kind, []).append(elapsed)
    finally:
        await conn.close()
    every = [t for values in timings.values() for t in values]
    return {
        "queries": len(queries), "timed": len(every), "records": records, "recalls": recalls,
        "p50_sec": statistics.median(every), "p95_sec": _percentile(every, 0.95), "max_sec": max(every),
        "by_kind": {k: {"n": len(v), "p50_sec": statistics.median(v), "p95_sec": _percentile(v, 0.95)}
                    for k, v in timings.items()},
    }


def figure(run: dict[str, Any]) -> str:
    """The one-line figure of a `measure` result."""
    kinds = ", ".join(f"{k} p95 {v['p95_sec'] * 1000:.1f} ms (n={v['n']})" for k, v in run["by_kind"].items())
    return (f"p50 {run['p50_sec'] * 1000:.1f} ms, p95 {run['p95_sec'] * 1000:.1f} ms, max {run['max_sec'] * 1000:.1f} ms "
            f"over {run['timed']} searches ({run['queries']} queries x {DEFAULT_PASSES - 1} passes) on "
            f"{run['records']} records / {run['recalls']} recalls; {kinds}")
