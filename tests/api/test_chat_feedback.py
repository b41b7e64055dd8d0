"""Votes on answers over HTTP (`POST /api/v1/chat/feedback`) against a real PostgreSQL.

Only the caller's own answers can be voted on (another user's is a 404), a
second vote replaces the first, nothing the parent wrote or the service
answered is stored, erase removes the votes, and every vote is counted under
the answer's intent.
"""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from babyshield_chat.telemetry.testing import metric_points
from tests.support.apps import DEAD_DATABASE_URL

DEV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1"}
FEEDBACK = "/api/v1/chat/feedback"
ALICE = {"X-User-Id": "alice"}
BOB = {"X-User-Id": "bob"}
QUESTION = "Is this crib from my cousin recalled? The label says Dreamland Deluxe."


async def answer(client, message=QUESTION, headers=ALICE, **body):
    response = await client.post("/api/v1/chat/conversation", json={"message": message, **body}, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def vote(client, body, headers=ALICE):
    response = await client.post(FEEDBACK, json=body, headers=headers)
    return response.status, await response.json()


async def stored_votes(url):
    conn = await asyncpg.connect(url)
    try:
        return [dict(r) for r in await conn.fetch("SELECT * FROM feedback_votes ORDER BY updated_at")]
    finally:
        await conn.close()


def counted(apps):
    """Non-zero `chat_feedback_total` series as {(helpful, reason, intent): votes}."""
    return {(p.attributes["helpful"], p.attributes["reason"], p.attributes["intent"]): p.value
            for p in metric_points(apps.telemetry, "chat_feedback_total") if p.value}


async def test_a_vote_on_an_answer_nothing_was_stored_for_is_recorded_under_its_intent(apps, database_url):
    client = await apps.client(DEV, database_url=database_url)
    reply = await answer(client)  # no memory consent, no client_message_id: no row knows this answer
    assert reply["memory_saved"] is False
    status, body = await vote(client, {"message_id": reply["message_id"], "helpful": False, "reason": "wrong"})
    assert status == 200, body
    assert body["recorded"] is True and len(body["trace_id"]) == 32
    [row] = await stored_votes(database_url)
    assert (row["user_id"], str(row["message_id"]), row["helpful"], row["reason"], row["intent"]) == (
        "alice", reply["message_id"], False, "wrong", reply["intent"])
    assert counted(apps) == {("false", "wrong", reply["intent"]): 1}


async def test_a_vote_on_an_emergency_answer_is_counted_as_emergency(apps, database_url):
    client = await apps.client(DEV, database_url=database_url)
    reply = await answer(client, "My baby swallowed a button battery!")
    status, _ = await vote(client, {"message_id": reply["message_id"], "helpful": True, "reason": None})
    assert status == 200
    assert counted(apps) == {("true", "none", "emergency"): 1}


async def test_another_users_answer_or_a_made_up_id_is_not_found_and_nothing_is_stored(apps, database_url):
    client = await apps.client(DEV, database_url=database_url)
    reply = await answer(client, headers=ALICE)
    for message_id, headers in ((reply["message_id"], BOB), (str(uuid.uuid4()), ALICE)):
        status, body = await vote(client, {"message_id": message_id, "helpful": False, "reason": "unsafe"}, headers)
        assert (status, body["error"]["code"]) == (404, "not_found"), body
        assert body["error"]["message"] == "There is no such answer."
    assert await stored_votes(database_url) == []
    assert counted(apps) == {}


async def test_a_second_vote_replaces_the_first_and_is_counted_again(apps, database_url):
    client = await apps.client(DEV, database_url=database_url)
    reply = await answer(client)
    await vote(client, {"message_id": reply["message_id"], "helpful": False, "reason": "slow"})
    status, _ = await vote(client, {"message_id": reply["message_id"], "helpful": True})
    assert status == 200
    [row] = await stored_votes(database_url)
    assert (row["helpful"], row["reason"]) == (True, None)
    assert counted(apps) == {("false", "slow", reply["intent"]): 1, ("true", "none", reply["intent"]): 1}


async def test_an_idempotent_replay_carries_the_same_votable_message_id(apps, database_url):
    client = await apps.client(DEV, database_url=database_url)
    first = await answer(client, client_message_id="m-1")
    again = await answer(client, client_message_id="m-1")
    assert again["message_id"] == first["message_id"]
    assert (await vote(client, {"message_id": again["message_id"], "helpful": True}))[0] == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"message_id": "MID", "helpful": False, "comment": "the answer was wrong about my crib"}, "comment"),
    ({"message_id": "MID", "helpful": False, "intent": "emergency"}, "intent"),
    ({"message_id": "MID", "helpful": "false"}, "helpful"),
    ({"message_id": "MID", "helpful": 0}, "helpful"),
    ({"message_id": "MID", "helpful": False, "reason": "rude"}, "reason"),
    ({"message_id": "MID", "helpful": False, "reason": "the answer was wrong"}, "reason"),
    ({"message_id": "not-a-uuid", "helpful": True}, "message_id"),
    ({"message_id": 12345, "helpful": True}, "message_id"),
    ({"helpful": True}, "message_id"),
    ({"message_id": "MID"}, "helpful"),
])
async def test_free_text_unknown_fields_and_loose_types_are_refused_naming_the_field(apps, database_url, body, field):
    client = await apps.client(DEV, database_url=database_url)
    reply = await answer(client)
    if body.get("message_id") == "MID":
        body = {**body, "message_id": reply["message_id"]}
    status, error = await vote(client, body)
    assert (status, error["error"]["code"]) == (400, "invalid_request"), error
    assert field in {d["field"] for d in error["error"]["details"]}
    assert await stored_votes(database_url) == []


async def test_a_vote_stores_nothing_the_parent_wrote_or_the_service_answered(apps, database_url):
    client = await apps.client(DEV, database_url=database_url)
    reply = await answer(client)
    await vote(client, {"message_id": reply["message_id"], "helpful": False, "reason": "unclear"})
    conn = await asyncpg.connect(database_url)
    try:
        dump = json.dumps([dict(r) for r in await conn.fetch("SELECT * FROM feedback_votes")], default=str)
        stored_text = await conn.fetchval("SELECT count(*) FROM messages")
    finally:
        await conn.close()
    assert stored_text == 0
    for text in (QUESTION, "Dreamland", reply["answer"]["summary"][:40]):
        assert text not in dump


async def test_without_credentials_401_and_for_a_blocked_user_403_before_the_body_is_read(apps, database_url):
    client = await apps.client({**DEV, "BS_FEATURE_CHAT_DENYLIST": "bob"}, database_url=database_url)
    response = await client.post(FEEDBACK, json={"message_id": str(uuid.uuid4()), "helpful": True})
    assert (response.status, (await response.json())["error"]["code"]) == (401, "auth_required")
    response = await client.post(FEEDBACK, data=b"not json at all", headers={**BOB, "Content-Type": "text/plain"})
    assert (response.status, (await response.json())["error"]["code"]) == (403, "chat_disabled")
    assert await stored_votes(database_url) == []


async def test_voting_too_fast_is_429_and_never_costs_a_question(apps, database_url):
    client = await apps.client({**DEV, "BS_CHAT_USER_RATE_PER_MIN": "2"}, database_url=database_url)
    reply = await answer(client)
    for helpful in (True, False):
        assert (await vote(client, {"message_id": reply["message_id"], "helpful": helpful}))[0] == 200
    response = await client.post(FEEDBACK, json={"message_id": reply["message_id"], "helpful": True}, headers=ALICE)
    assert (response.status, (await response.json())["error"]["code"]) == (429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    await answer(client)  # the second question of the minute: the votes took nothing from it
    assert (await vote(client, {"message_id": reply["message_id"], "helpful": True}, BOB))[0] == 404


async def test_erase_deletes_the_callers_votes_and_reports_the_spec_counts(apps, database_url):
    client = await apps.client(DEV, database_url=database_url)
    mine, theirs = await answer(client, headers=ALICE), await answer(client, headers=BOB)
    await vote(client, {"message_id": mine["message_id"], "helpful": False, "reason": "unsafe"}, ALICE)
    await vote(client, {"message_id": theirs["message_id"], "helpful": True}, BOB)
    response = await client.post("/api/v1/chat/erase", headers=ALICE)
    assert (await response.json())["deleted"] == {"conversations": 0, "messages": 0, "profile": False}
    assert [row["user_id"] for row in await stored_votes(database_url)] == ["bob"]


async def test_each_recorded_vote_logs_one_chat_feedback_line_without_the_user_id(apps, database_url, logs):
    client = await apps.client(DEV, database_url=database_url)
    reply = await answer(client)
    await vote(client, {"message_id": reply["message_id"], "helpful": False, "reason": "unsafe"})
    await vote(client, {"message_id": str(uuid.uuid4()), "helpful": False, "reason": "unsafe"})  # 404: no line
    [line] = [line for line in logs.lines() if line.get("event") == "chat_feedback"]
    assert (line["helpful"], line["reason"], line["intent"], line["replaced"]) == (
        False, "unsafe", reply["intent"], False)
    assert len(line["user_hash"]) == 16 and "alice" not in json.dumps(line)
    assert line["trace_id"] and line["span_id"]


async def test_a_dead_database_is_503_and_the_vote_is_not_counted(apps):
    client = await apps.client(DEV, database_url=DEAD_DATABASE_URL)
    reply = await answer(client, "My baby swallowed a button battery!")
    status, body = await vote(client, {"message_id": reply["message_id"], "helpful": False})
    assert (status, body["error"]["code"]) == (503, "not_ready")
    assert counted(apps) == {}
