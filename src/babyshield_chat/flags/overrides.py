"""The runtime override of the chat flag and its audit trail, as SQL.

Every write is one transaction: lock the override row, change it, append an
audit row (who, when, old, new, reason, details) and `NOTIFY` the instances,
which re-read the row when the transaction commits. Old and new in the audit
are *effective* states (override merged over env), so the trail reads as what
users experienced, whichever columns the override set.

The functions take an asyncpg connection, so the app (through its pool), the
live `OverrideStore` and the rollout CLI (through a connection of its own)
share them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from babyshield_chat.config import FlagSettings
from babyshield_chat.flags.evaluation import FLAG_KEY, FlagState

NOTIFY_CHANNEL = "bs_flag_overrides"
DEFAULT_AUDIT_LIMIT = 50
MAX_AUDIT_LIMIT = 500

# Audit actions that change what users get; guard holds are recorded too,
# with old == new, so that every decision has its metric values on file.
ACTION_SET = "set"
ACTION_CLEAR = "clear"


class OverrideConflict(RuntimeError):
    """The flag changed between reading it and writing it (someone else acted first)."""


@dataclasses.dataclass(frozen=True)
class Override:
    """The `flag_overrides` row; a None column falls back to env."""

    enabled: bool | None
    rollout_pct: float | None
    updated_at: dt.datetime
    updated_by: str
    reason: str

    def apply(self, env: FlagSettings) -> FlagState:
        return effective_state(env, self)


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    reason: str
    details: Mapping[str, Any] | None


@dataclasses.dataclass(frozen=True)
class Change:
    """The result of a write: the effective state before and after it."""

    old: FlagState
    new: FlagState
    audit_id: int

    @property
    def changed(self) -> bool:
        return (self.old.enabled, self.old.rollout_pct) != (self.new.enabled, self.new.rollout_pct)


def effective_state(env: FlagSettings, override: Override | None) -> FlagState:
    """Env values with the override's non-null columns on top."""
    base = FlagState.from_settings(env)
    if override is None:
        return base
    return dataclasses.replace(
        base,
        enabled=base.enabled if override.enabled is None else override.enabled,
        rollout_pct=base.rollout_pct if override.rollout_pct is None else override.rollout_pct,
        source="override",
    )


def state_json(state: FlagState) -> dict[str, Any]:
    return {"enabled": state.enabled, "rollout_pct": state.rollout_pct, "source": state.source}


async def read_override(conn: asyncpg.Connection, *, lock: bool = False) -> Override | None:
    sql = "SELECT enabled, rollout_pct, updated_at, updated_by, reason FROM flag_overrides WHERE flag = $1"
    row = await conn.fetchrow(sql + (" FOR UPDATE" if lock else ""), FLAG_KEY)
    if row is None:
        return None
    return Override(row["enabled"], row["rollout_pct"], row["updated_at"], row["updated_by"], row["reason"])


async def set_override(
    conn: asyncpg.Connection,
    env: FlagSettings,
    *,
    enabled: bool | None = None,
    rollout_pct: float | None = None,
    actor: str,
    reason: str,
    action: str = ACTION_SET,
    details: Mapping[str, Any] | None = None,
    expect: FlagState | None = None,
) -> Change:
    """Merge the given columns into the override; columns not given keep their value.

    `expect` makes the write conditional: when the effective state is no longer
    the one the caller decided from, nothing is written and `OverrideConflict`
    is raised (two rollout guards must not both step back).
    """
    if rollout_pct is not None and not 0.0 <= rollout_pct <= 1.0:
        raise ValueError(f"rollout_pct must be between 0 and 1, got {rollout_pct!r}")
    async with conn.transaction():
        # An advisory transaction lock also serialises the first insert, which FOR UPDATE cannot.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", NOTIFY_CHANNEL)
        current = await read_override(conn, lock=True)
        old = effective_state(env, current)
        _check_expected(old, expect)
        new_enabled = enabled if enabled is not None else (current.enabled if current else None)
        new_pct = rollout_pct if rollout_pct is not None else (current.rollout_pct if current else None)
        await conn.execute(
            """
            INSERT INTO flag_overrides (flag, enabled, rollout_pct, updated_at, updated_by, reason)
            VALUES ($1, $2, $3, now(), $4, $5)
            ON CONFLICT (flag) DO UPDATE SET enabled = EXCLUDED.enabled, rollout_pct = EXCLUDED.rollout_pct,
                updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by, reason = EXCLUDED.reason
            """,
            FLAG_KEY, new_enabled, new_pct, actor, reason,
        )
        new = effective_state(env, await read_override(conn))
        audit_id = await _audit(conn, actor, action, old, new, reason, details)
        await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, str(audit_id))
    return Change(old, new, audit_id)


async def clear_override(
    conn: asyncpg.Connection,
    env: FlagSettings,
    *,
    actor: str,
    reason: str,
    details: Mapping[str, Any] | None = None,
) -> Change:
    """Delete the override: every instance falls back to env."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", NOTIFY_CHANNEL)
        old = effective_state(env, await read_override(conn, lock=True))
        await conn.execute("DELETE FROM flag_overrides WHERE flag = $1", FLAG_KEY)
        new = effective_state(env, None)
        audit_id = await _audit(conn, actor, ACTION_CLEAR, old, new, reason, details)
        await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, str(audit_id))
    return Change(old, new, audit_id)


async def record_decision(
    conn: asyncpg.Connection,
    env: FlagSettings,
    *,
    actor: str,
    action: str,
    reason: str,
    details: Mapping[str, Any],
) -> int:
    """An audit row for a decision that changes nothing (a rollout guard hold)."""
    state = effective_state(env, await read_override(conn))
    return await _audit(conn, actor, action, state, state, reason, details)


async def list_audit(
    conn: asyncpg.Connection, *, limit: int = DEFAULT_AUDIT_LIMIT, actions: Sequence[str] | None = None,
    after: dt.datetime | None = None,
) -> list[AuditEntry]:
    """Newest first; only `actions` and only rows recorded after `after`, when given."""
    rows = await conn.fetch(
        """
        SELECT id, at, actor, action, old, new, reason, details FROM flag_audit
        WHERE flag = $1 AND ($2::text[] IS NULL OR action = ANY($2::text[])) AND ($4::timestamptz IS NULL OR at > $4)
        ORDER BY at DESC, id DESC LIMIT $3
        """,
        FLAG_KEY, list(actions) if actions is not None else None, limit, after,
    )
    return [
        AuditEntry(row["id"], row["at"], row["actor"], row["action"], _json(row["old"]), _json(row["new"]),
                   row["reason"], _json(row["details"]))
        for row in rows
    ]


async def latest_audit(conn: asyncpg.Connection, actions: Sequence[str], *,
                       after: dt.datetime | None = None) -> AuditEntry | None:
    """The newest audit row with one of `actions` (recorded after `after`, when given), or None."""
    [entry] = await list_audit(conn, limit=1, actions=actions, after=after) or [None]
    return entry


async def last_change_at(conn: asyncpg.Connection) -> dt.datetime | None:
    """When the effective switch or percentage last changed: the start of the current soak."""
    return await conn.fetchval(
        """
        SELECT at FROM flag_audit
        WHERE flag = $1 AND (old->'enabled', (old->>'rollout_pct')::float8)
              IS DISTINCT FROM (new->'enabled', (new->>'rollout_pct')::float8)
        ORDER BY at DESC, id DESC LIMIT 1
        """,
        FLAG_KEY,
    )


async def last_stable_pct(conn: asyncpg.Connection, below: float, promote_action: str) -> float | None:
    """The most recent percentage the guard promoted *from* (it had soaked green) below `below`."""
    return await conn.fetchval(
        """
        SELECT (old->>'rollout_pct')::float8 FROM flag_audit
        WHERE flag = $1 AND action = $2 AND (old->>'rollout_pct')::float8 < $3
        ORDER BY at DESC, id DESC LIMIT 1
        """,
        FLAG_KEY, promote_action, below,
    )


async def _audit(
    conn: asyncpg.Connection,
    actor: str,
    action: str,
    old: FlagState,
    new: FlagState,
    reason: str,
    details: Mapping[str, Any] | None,
) -> int:
    return await conn.fetchval(
        """
        INSERT INTO flag_audit (flag, actor, action, old, new, reason, details)
        VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7::jsonb) RETURNING id
        """,
        FLAG_KEY, actor, action, json.dumps(state_json(old)), json.dumps(state_json(new)), reason,
        json.dumps(dict(details)) if details is not None else None,
    )


def _check_expected(actual: FlagState, expect: FlagState | None) -> None:
    if expect is None:
        return
    if (actual.enabled, actual.rollout_pct) != (expect.enabled, expect.rollout_pct):
        raise OverrideConflict(
            f"the chat flag changed to enabled={actual.enabled} rollout_pct={actual.rollout_pct:g} "
            f"(expected enabled={expect.enabled} rollout_pct={expect.rollout_pct:g}); decide again"
        )


def _json(value: str | None) -> Any:
    return json.loads(value) if value is not None else None
