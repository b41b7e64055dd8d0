"""`recall_lookup` against the real imported data: what it gives the writers."""

import datetime as dt

import pytest
from opentelemetry import trace

from babyshield_chat.chat.model import Product, Profile
from babyshield_chat.chat.tools.context import ToolContext
from babyshield_chat.chat.tools.recall_lookup import name_query, recall_lookup
from babyshield_chat.config import DatabaseSettings
from babyshield_chat.db.pool import Database

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
async def database(loaded_database_url):
    db = Database(loaded_database_url, DatabaseSettings(url=loaded_database_url))
    await db.start()
    yield db
    await db.close()


def context(database, question="Is this recalled?", product=None):
    return ToolContext(question=question, product=product, profile=Profile(), database=database,
                       tracer=trace.get_tracer("test"), now=NOW, recalls_max_age_days=7)


async def test_the_writers_get_recalls_with_their_sources_and_severity(database):
    result = await recall_lookup(context(database, "is the fisher price rock n play recalled??"))
    matches = result.facts["matches"]
    assert result.facts["name_from"] == "question"
    assert len({m["id"] for m in matches}) == len(matches) == len(result.evidence)
    assert matches[0]["deaths"] >= 1 and "All models" in matches[0]["title"]
    mold = next(m for m in matches if m["id"] == "CPSC-13087")
    assert sorted(s["source"] for s in mold["sources"]) == ["cpsc_index", "cpsc_usagov"]
    assert result.facts["recalls_loaded"] < result.facts["records_loaded"]


async def test_a_mistyped_code_tells_why_and_what_to_do(database):
    result = await recall_lookup(context(database, product=Product(upc="817980011138")))
    (check,) = result.checks
    assert check.status == "unknown" and "expected 7" in check.detail and "type it again" in check.detail
    assert result.facts["code_problem"] == check.detail


async def test_a_mistyped_code_with_a_matching_name_warns_and_still_says_the_code_looks_wrong(database):
    result = await recall_lookup(context(database, product=Product(upc="817980011138", name="Boppy Newborn Lounger")))
    (check,) = result.checks
    assert check.status == "warn" and "mistyped" in check.detail


async def test_a_mistyped_code_and_a_model_that_matches_nothing_never_pass(database):
    result = await recall_lookup(context(database, product=Product(upc="817980011138", model="NO-SUCH-MODEL-1")))
    assert result.checks[0].status == "unknown"


def test_a_one_word_category_name_is_not_searched():
    assert name_query(context(None, product=Product(name="Crib"))) is None


def test_a_product_name_beats_the_question_and_keeps_its_brand():
    ctx = context(None, "is the stork craft crib recalled", Product(name="Rock 'n Play Sleeper", brand="Fisher-Price"))
    assert name_query(ctx) == ("Rock 'n Play Sleeper", "Fisher-Price", "product")


def test_without_a_product_name_the_question_s_product_is_searched_with_the_product_brand():
    ctx = context(None, "is the rock n play recalled", Product(brand="Fisher-Price"))
    assert name_query(ctx) == ("rock n play", "Fisher-Price", "question")
