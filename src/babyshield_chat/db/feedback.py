"""Parents' votes on answers, as SQL: one per user and message, no content.

A vote is stored so that a second one replaces the first and so that
`/erase` and the retention purge can delete it. It holds the message id, the
verdict, the closed-set reason and the intent the message was answered
under: nothing the parent wrote, nothing the service answered. The counting
that the dashboards and the rollout guard read is the metric
`chat_feedback_total`, not this table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import asyncpg

from babyshield_chat.vocabulary import FeedbackReason, Intent


@dataclasses.dataclass(frozen=True)
class Vote:
    message_id: uuid.UUID
    helpful: bool
    reason: FeedbackReason | None
    intent: Intent


async def record_vote(conn: asyncpg.Connection, user_id: str, vote: Vote) -> bool:
    """Store the vote, replacing the user's earlier one on the same message; True when it replaced one."""
    return await conn.fetchval(
        """
        INSERT INTO feedback_votes (user_id, message_id, helpful, reason, intent)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (user_id, message_id) DO UPDATE SET helpful = EXCLUDED.helpful, reason = EXCLUDED.reason,
            intent = EXCLUDED.intent, updated_at = now()
        RETURNING (xmax <> 0)
        """,
        user_id, vote.message_id, vote.helpful, vote.reason, vote.intent,
    )


async def erase_votes(conn: asyncpg.Connection, user_id: str) -> int:
    return await conn.fetchval(
        "WITH d AS (DELETE FROM feedback_votes WHERE user_id = $1 RETURNING 1) SELECT count(*) FROM d", user_id
    )


async def purge_votes(conn: asyncpg.Connection, retention: dt.timedelta) -> int:
    """Delete votes last cast before the retention window (the messages they were about are gone too)."""
    return await conn.fetchval(
        "WITH d AS (DELETE FROM feedback_votes WHERE updated_at < now() - $1::interval RETURNING 1) "
        "SELECT count(*) FROM d",
        retention,
    )
