"""Recall search through the chat API, on a real PostgreSQL with every shared recall file imported (spec 4b.1-4)."""

import datetime as dt

import pytest

from .support.data import age_imports

DEV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1"}
CHAT = "/api/v1/chat/conversation"
ALICE = {"X-User-Id": "alice"}
ROCK_N_PLAY_ALL_MODELS = ("CPSC-2019/Fisher-Price-Recalls-Rock-n-Play-Sleepers",
                          "CPSC-2023/Fisher-Price-Reannounces-Recall-of-4-7-Million-Rock-n-Play")


@pytest.fixture
async def client(apps, loaded_database_url):
    return await apps.client(DEV, database_url=loaded_database_url)


async def ask(client, message, **body):
    response = await client.post(CHAT, json={"message": message, **body}, headers=ALICE)
    assert response.status == 200, await response.text()
    return await response.json()


def recall_check(body):
    return next(c for c in body["answer"]["checks"] if c["name"] == "recall")


def recall_ids(body):
    return [e["id"] for e in body["answer"]["evidence"] if e["type"] == "recall"]


def today():
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


async def test_rock_n_play_question_leads_with_the_all_models_recall_after_deaths(client):
    body = await ask(client, "is the fisher price rock n play recalled??")
    ids = recall_ids(body)
    assert ids[0].startswith(ROCK_N_PLAY_ALL_MODELS) and ids[1].startswith(ROCK_N_PLAY_ALL_MODELS)
    assert "CPSC-13087" in ids[2:]  # the 2013 mold recall is there, after them
    assert recall_check(body)["status"] == "warn"
    assert "Rock 'n Play" in body["answer"]["summary"]
    assert "Play Gym" not in body["answer"]["summary"]


async def test_a_product_brand_no_longer_drops_the_records_without_a_brand_field(client):
    body = await ask(client, "Has this been recalled?", product={"name": "Rock 'n Play Sleeper", "brand": "Fisher-Price"})
    assert recall_ids(body)[0].startswith(ROCK_N_PLAY_ALL_MODELS)


async def test_the_product_phrase_is_taken_out_of_a_long_question(client):
    body = await ask(client, "we got a stork craft drop side crib from my cousin, is it recalled")
    assert recall_ids(body)[0] == "CPSC-10046"
    assert recall_check(body)["status"] == "warn"
    assert "stork craft" in recall_check(body)["detail"].lower() or "Stork Craft" in body["answer"]["summary"]


@pytest.mark.parametrize(
    ("question", "first_id"),
    [
        ("is the boppy newborn lounger recalled?", "CPSC-2021/The-Boppy-Company-Recalls-Over-3-Million-Original-Newborn"),
        ("Has the Peg Perego stroller been recalled?", "CPSC-12232"),
        ("any recall on the nap nanny?", "CPSC-13083"),
        ("was the infantino slingrider recalled", "CPSC-10177"),
        ("is my graco pack n play recalled", "CPSC-2021/Graco-Recalls-Inclined-Sleeper-Accessory"),
    ],
)
async def test_famous_recalls_are_answered_first(client, question, first_id):
    ids = recall_ids(await ask(client, question))
    assert ids and ids[0].startswith(first_id), ids


@pytest.mark.parametrize("message", ["whats the weather tomorrow", "hi", "thanks", "Thank you!"])
async def test_chit_chat_runs_no_recall_search(client, message):
    body = await ask(client, message)
    assert recall_ids(body) == []
    for c in body["answer"]["checks"]:
        assert "No recall matched name" not in c["detail"]
        if c["name"] == "recall":
            assert c["status"] == "unknown" and "No UPC, model or product name" in c["detail"]


async def test_a_product_sharing_only_a_common_word_matches_no_recall(client):
    body = await ask(client, "Is this recalled?", product={"name": "Acme Turbo Stroller"})
    assert recall_ids(body) == []
    assert recall_check(body)["status"] == "unknown"


async def test_one_recall_from_two_files_is_one_entry_and_counted_once(client):
    body = await ask(client, "Is this recalled?", product={"upc": "817980011137"})
    assert recall_ids(body) == ["CPSC-13115"]
    assert recall_check(body)["status"] == "fail"
    assert "2 recalls" not in body["answer"]["summary"]


async def test_a_code_with_a_wrong_check_digit_is_mistyped_not_unrecalled(client):
    body = await ask(client, "Is this recalled?", product={"upc": "817980011138"})
    check = recall_check(body)
    assert check["status"] == "unknown"
    assert "mistyped" in check["detail"] and "re-scan" in check["detail"]
    text = (body["answer"]["summary"] + " ".join(body["answer"]["reasons"])).lower()
    assert "no recall" not in text and "not recalled" not in text


async def test_a_valid_code_still_passes_on_fresh_data_with_its_date(client):
    body = await ask(client, "Is this recalled?", product={"upc": "036000291452"})
    check = recall_check(body)
    assert check["status"] == "pass" and today() in check["detail"]


async def test_a_model_number_printed_in_a_recall_name_is_an_exact_match(client):
    body = await ask(client, "Is this recalled?", product={"name": "speed cube", "model": "YJ-MGC 5x5"})
    assert recall_check(body)["status"] == "fail"
    assert "CuberShop" in body["answer"]["evidence"][0]["title"]


async def test_a_name_match_is_a_warning_and_says_how_fresh_the_data_is(client):
    body = await ask(client, "Is this recalled?", product={"name": "Boppy Newborn Lounger"})
    assert recall_check(body)["status"] == "warn"
    assert any(today() in r for r in body["answer"]["reasons"])


async def test_stale_data_is_unknown_even_when_a_code_is_mistyped(client, loaded_database_url):
    await age_imports(loaded_database_url, 30)
    body = await ask(client, "Is this recalled?", product={"upc": "036000291453"})
    assert recall_check(body)["status"] == "unknown"
