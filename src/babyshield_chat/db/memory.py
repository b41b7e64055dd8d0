"""Conversation memory, profiles, idempotency records and erase (spec step 7).

Every read is scoped by the caller's user id: a conversation that belongs to
someone else is indistinguishable from one that does not exist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from babyshield_chat.chat.model import Profile

IDEMPOTENCY_TTL = dt.timedelta(hours=24)
# A claim with no response after this long belongs to a request that died.
ABANDONED_CLAIM = dt.timedelta(seconds=30)


class NotOwner(LookupError):
    """The conversation exists but is not the caller's (answered as 404)."""


@dataclasses.dataclass(frozen=True)
class StoredMessage:
    id: uuid.UUID
    role: str
    content: str
    intent: str | None
    created_at: dt.datetime
    trace_id: str | None


@dataclasses.dataclass(frozen=True)
class NewMessage:
    id: uuid.UUID
    role: str
    content: str
    intent: str | None
    trace_id: str | None


# --- profiles ---


async def get_profile(conn: asyncpg.Connection, user_id: str) -> Profile | None:
    row = await conn.fetchrow(
        "SELECT consent_memory, allergies, pregnancy_trimester, child_birthdate FROM profiles WHERE user_id = $1",
        user_id,
    )
    if row is None:
        return None
    return Profile(
        consent_memory=row["consent_memory"], allergies=list(row["allergies"]),
        pregnancy_trimester=row["pregnancy_trimester"], child_birthdate=row["child_birthdate"],
    )


async def put_profile(conn: asyncpg.Connection, user_id: str, profile: Profile) -> None:
    await conn.execute(
        """INSERT INTO profiles (user_id, consent_memory, allergies, pregnancy_trimester, child_birthdate)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (user_id) DO UPDATE SET consent_memory = EXCLUDED.consent_memory,
               allergies = EXCLUDED.allergies, pregnancy_trimester = EXCLUDED.pregnancy_trimester,
               child_birthdate = EXCLUDED.child_birthdate, updated_at = now()""",
        user_id, profile.consent_memory, list(profile.allergies), profile.pregnancy_trimester, profile.child_birthdate,
    )


async def update_profile(conn: asyncpg.Connection, user_id: str,
                         change: Callable[[Profile | None], Profile]) -> Profile:
    """Read the profile, apply `change` to it (None when there is none) and store the result, atomically."""
    async with conn.transaction():
        await conn.execute("SELECT 1 FROM profiles WHERE user_id = $1 FOR UPDATE", user_id)
        profile = change(await get_profile(conn, user_id))
        await put_profile(conn, user_id, profile)
    return profile


# --- conversations and messages ---


async def owner_of(conn: asyncpg.Connection, conversation_id: uuid.UUID) -> str | None:
    return await conn.fetchval("SELECT user_id FROM conversations WHERE id = $1", conversation_id)


async def save_exchange(
    conn: asyncpg.Connection, conversation_id: uuid.UUID, user_id: str, messages: Sequence[NewMessage],
    *, commit_by: dt.datetime,
) -> None:
    """Create the conversation if new, then append the messages, atomically, if it commits by `commit_by`.

    The caller reports `memory_saved` from this call, so a commit it gave up
    waiting for must never happen later. With PostgreSQL frozen (SIGSTOP) a
    COMMIT already sent sits in the socket and runs when the server resumes,
    after the caller has answered `memory_saved: false`. So the time check
    and the COMMIT travel in one message and run together: a transaction
    reaching its COMMIT after `commit_by` (the server's clock against the
    service's: they are NTP-synchronised; the caller keeps a margin) aborts
    instead: the check divides by zero (`asyncpg.DivisionByZeroError`), which
    skips the COMMIT behind it.
    """
    await conn.execute("BEGIN")
    try:
        owner = await conn.fetchval(
            """INSERT INTO conversations (id, user_id) VALUES ($1, $2)
               ON CONFLICT (id) DO UPDATE SET updated_at = now() RETURNING user_id""",
            conversation_id, user_id,
        )
        if owner != user_id:
            raise NotOwner(conversation_id)
        await conn.executemany(
            """INSERT INTO messages (id, conversation_id, user_id, role, content, intent, trace_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            [(m.id, conversation_id, user_id, m.role, m.content, m.intent, m.trace_id) for m in messages],
        )
        # One simple-protocol message (it takes no parameters): the timestamp is ours, from isoformat().
        await conn.execute(f"SELECT 1 / (clock_timestamp() <= '{commit_by.isoformat()}'::timestamptz)::int; COMMIT")
    except (asyncpg.PostgresError, NotOwner):
        await conn.execute("ROLLBACK")  # the server answered: it can take the rollback too
        raise


async def get_messages(
    conn: asyncpg.Connection, conversation_id: uuid.UUID, user_id: str
) -> list[StoredMessage] | None:
    """The caller's conversation, oldest first; None when it is not theirs or does not exist."""
    if await owner_of(conn, conversation_id) != user_id:
        return None
    rows = await conn.fetch(
        """SELECT id, role, content, intent, created_at, trace_id FROM messages
           WHERE conversation_id = $1 AND user_id = $2 ORDER BY created_at, role DESC""",
        conversation_id, user_id,
    )
    return [StoredMessage(r["id"], r["role"], r["content"], r["intent"], r["created_at"], r["trace_id"]) for r in rows]


async def purge_messages(conn: asyncpg.Connection, retention: dt.timedelta) -> int:
    """Delete messages past retention, then conversations left empty and stale."""
    async with conn.transaction():
        deleted = await conn.fetchval(
            "WITH d AS (DELETE FROM messages WHERE created_at < now() - $1::interval RETURNING 1) SELECT count(*) FROM d",
            retention,
        )
        await conn.execute(
            """DELETE FROM conversations c WHERE c.updated_at < now() - $1::interval
               AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)""",
            retention,
        )
        await conn.execute("DELETE FROM idempotency_records WHERE created_at < now() - $1::interval", IDEMPOTENCY_TTL)
    return deleted


async def erase_user(conn: asyncpg.Connection, user_id: str) -> dict[str, Any]:
    async with conn.transaction():
        messages = await conn.fetchval(
            "WITH d AS (DELETE FROM messages WHERE user_id = $1 RETURNING 1) SELECT count(*) FROM d", user_id
        )
        conversations = await conn.fetchval(
            "WITH d AS (DELETE FROM conversations WHERE user_id = $1 RETURNING 1) SELECT count(*) FROM d", user_id
        )
        profile = await conn.fetchval(
            "WITH d AS (DELETE FROM profiles WHERE user_id = $1 RETURNING 1) SELECT count(*) FROM d", user_id
        )
        await conn.execute("DELETE FROM idempotency_records WHERE user_id = $1", user_id)
    return {"conversations": conversations, "messages": messages, "profile": profile > 0}


# --- idempotency ---


async def claim(conn: asyncpg.Connection, user_id: str, client_message_id: str) -> tuple[bool, dict | None]:
    """Claim a client message id: (True, None) when this request owns it,
    (False, response) when it was answered within 24 h, (False, None) while
    another request with the same id is still being answered.
    """
    async with conn.transaction():
        # Expired or abandoned claims are released first, so a retry can own the id.
        await conn.execute(
            """DELETE FROM idempotency_records WHERE user_id = $1 AND client_message_id = $2
               AND (created_at < now() - $3::interval OR (response IS NULL AND created_at < now() - $4::interval))""",
            user_id, client_message_id, IDEMPOTENCY_TTL, ABANDONED_CLAIM,
        )
        owned = await conn.fetchval(
            """INSERT INTO idempotency_records (user_id, client_message_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING true""",
            user_id, client_message_id,
        )
    if owned:
        return True, None
    stored = await conn.fetchval(
        "SELECT response FROM idempotency_records WHERE user_id = $1 AND client_message_id = $2",
        user_id, client_message_id,
    )
    return False, (json.loads(stored) if stored is not None else None)


async def store_response(conn: asyncpg.Connection, user_id: str, client_message_id: str, response: dict) -> None:
    await conn.execute(
        "UPDATE idempotency_records SET response = $3::jsonb WHERE user_id = $1 AND client_message_id = $2",
        user_id, client_message_id, json.dumps(response),
    )


async def release(conn: asyncpg.Connection, user_id: str, client_message_id: str) -> None:
    await conn.execute(
        "DELETE FROM idempotency_records WHERE user_id = $1 AND client_message_id = $2 AND response IS NULL",
        user_id, client_message_id,
    )
