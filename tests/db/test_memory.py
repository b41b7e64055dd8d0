"""Memory repository: retention purge, ownership, abandoned idempotency claims."""

import datetime as dt
import uuid

import asyncpg
import pytest

from babyshield_chat.db import memory


def soon():
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)


def exchange(text="hi"):
    return [memory.NewMessage(uuid.uuid4(), "user", text, "recall_details", "t" * 32),
            memory.NewMessage(uuid.uuid4(), "assistant", "answer", "recall_details", "t" * 32)]


async def test_purge_deletes_only_messages_past_retention(conn):
    old, new = uuid.uuid4(), uuid.uuid4()
    await memory.save_exchange(conn, old, "alice", exchange("old"), commit_by=soon())
    await memory.save_exchange(conn, new, "alice", exchange("new"), commit_by=soon())
    await conn.execute("UPDATE messages SET created_at = now() - interval '31 days' WHERE conversation_id = $1", old)
    await conn.execute("UPDATE conversations SET updated_at = now() - interval '31 days' WHERE id = $1", old)
    purged = await memory.purge_messages(conn, dt.timedelta(days=30))
    assert purged == 2
    assert await memory.get_messages(conn, old, "alice") is None  # the empty conversation went too
    assert len(await memory.get_messages(conn, new, "alice")) == 2


async def test_saving_into_another_users_conversation_is_refused(conn):
    cid = uuid.uuid4()
    await memory.save_exchange(conn, cid, "alice", exchange(), commit_by=soon())
    with pytest.raises(memory.NotOwner):
        await memory.save_exchange(conn, cid, "bob", exchange(), commit_by=soon())
    assert await conn.fetchval("SELECT count(*) FROM messages WHERE user_id = 'bob'") == 0
    assert not conn.is_in_transaction()


async def test_an_exchange_reaching_its_commit_after_the_deadline_is_not_stored(conn):
    # What a COMMIT that waited in a frozen server's socket finds when the server resumes.
    late = dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=1)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await memory.save_exchange(conn, uuid.uuid4(), "alice", exchange(), commit_by=late)
    assert await conn.fetchval("SELECT count(*) FROM messages") == 0
    assert await conn.fetchval("SELECT count(*) FROM conversations") == 0
    assert not conn.is_in_transaction()


async def test_an_abandoned_claim_can_be_taken_over(conn):
    assert await memory.claim(conn, "alice", "m") == (True, None)
    assert await memory.claim(conn, "alice", "m") == (False, None)  # in progress
    await conn.execute("UPDATE idempotency_records SET created_at = now() - interval '1 minute'")
    assert await memory.claim(conn, "alice", "m") == (True, None)


async def test_a_stored_response_expires_after_24_hours(conn):
    await memory.claim(conn, "alice", "m")
    await memory.store_response(conn, "alice", "m", {"ok": 1})
    assert await memory.claim(conn, "alice", "m") == (False, {"ok": 1})
    await conn.execute("UPDATE idempotency_records SET created_at = now() - interval '25 hours'")
    assert await memory.claim(conn, "alice", "m") == (True, None)
