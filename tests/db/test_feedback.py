"""Feedback votes in PostgreSQL: one per user and message, replaced not added, erased and purged, no content."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
import pytest

from babyshield_chat.db import feedback, memory
from babyshield_chat.db.feedback import Vote


async def votes(conn) -> list[dict]:
    return [dict(r) for r in await conn.fetch("SELECT * FROM feedback_votes ORDER BY user_id")]


async def test_a_second_vote_on_the_same_message_replaces_the_first(conn):
    message = uuid.uuid4()
    assert await feedback.record_vote(conn, "alice", Vote(message, False, "slow", "recall_details")) is False
    assert await feedback.record_vote(conn, "alice", Vote(message, True, None, "recall_details")) is True
    [row] = await votes(conn)
    assert (row["helpful"], row["reason"], row["intent"]) == (True, None, "recall_details")
    assert row["updated_at"] >= row["created_at"]


async def test_two_users_or_two_messages_are_two_votes(conn):
    message = uuid.uuid4()
    await feedback.record_vote(conn, "alice", Vote(message, False, "wrong", "allergy_question"))
    await feedback.record_vote(conn, "bob", Vote(message, True, None, "allergy_question"))
    await feedback.record_vote(conn, "bob", Vote(uuid.uuid4(), True, None, "emergency"))
    assert len(await votes(conn)) == 3


async def test_a_vote_row_holds_ids_verdict_reason_and_intent_only(conn):
    columns = {r["column_name"] for r in await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'feedback_votes'")}
    assert columns == {"user_id", "message_id", "helpful", "reason", "intent", "created_at", "updated_at"}


async def test_erase_deletes_the_users_votes_and_keeps_the_spec_counts(conn):
    await feedback.record_vote(conn, "alice", Vote(uuid.uuid4(), False, "unsafe", "pregnancy_risk"))
    await feedback.record_vote(conn, "bob", Vote(uuid.uuid4(), True, None, "pregnancy_risk"))
    deleted = await memory.erase_user(conn, "alice")
    assert deleted == {"conversations": 0, "messages": 0, "profile": False}
    assert [row["user_id"] for row in await votes(conn)] == ["bob"]


async def test_purge_deletes_votes_last_cast_before_retention(conn):
    await feedback.record_vote(conn, "alice", Vote(uuid.uuid4(), False, "wrong", "recall_details"))
    await feedback.record_vote(conn, "bob", Vote(uuid.uuid4(), True, None, "recall_details"))
    await conn.execute("UPDATE feedback_votes SET updated_at = now() - interval '31 days' WHERE user_id = 'alice'")
    assert await feedback.purge_votes(conn, dt.timedelta(days=30)) == 1
    assert [row["user_id"] for row in await votes(conn)] == ["bob"]


async def test_a_reason_outside_the_closed_set_cannot_be_stored(conn):
    with pytest.raises(asyncpg.CheckViolationError):
        await feedback.record_vote(conn, "alice", Vote(uuid.uuid4(), False, "rude", "recall_details"))  # type: ignore[arg-type]
