"""The override's SQL: merge semantics, conditional writes, and the history the guard reads."""

import asyncio

import asyncpg
import pytest

from babyshield_chat.config import FlagSettings
from babyshield_chat.flags import overrides
from babyshield_chat.flags.evaluation import FlagState
from babyshield_chat.rollout.guard import PROMOTE_ACTION

ENV = FlagSettings(enabled=True, rollout_pct=0.1)


async def test_a_write_notifies_listeners_when_it_commits(conn, database_url):
    listener = await asyncpg.connect(database_url)
    received = asyncio.Queue()
    await listener.add_listener(overrides.NOTIFY_CHANNEL, lambda *args: received.put_nowait(args[3]))
    try:
        change = await overrides.set_override(conn, ENV, enabled=False, actor="sre", reason="kill")
        assert await asyncio.wait_for(received.get(), 2) == str(change.audit_id)
    finally:
        await listener.close()


async def test_a_partial_override_falls_back_to_env_for_the_other_column(conn):
    change = await overrides.set_override(conn, ENV, rollout_pct=0.5, actor="sre", reason="phase 3")
    assert change.new == FlagState(True, 0.5, source="override")
    override = await overrides.read_override(conn)
    assert (override.enabled, override.rollout_pct, override.updated_by) == (None, 0.5, "sre")


async def test_an_out_of_range_fraction_is_refused_before_touching_the_database(conn):
    with pytest.raises(ValueError, match="got 1.5"):
        await overrides.set_override(conn, ENV, rollout_pct=1.5, actor="sre", reason="typo")
    assert await overrides.list_audit(conn) == []


async def test_a_conditional_write_refuses_when_the_flag_moved_and_writes_nothing(conn):
    await overrides.set_override(conn, ENV, rollout_pct=0.25, actor="sre", reason="phase 2")
    with pytest.raises(overrides.OverrideConflict, match="changed to enabled=True rollout_pct=0.25"):
        await overrides.set_override(conn, ENV, rollout_pct=0.05, actor="guard", reason="step back",
                                     expect=FlagState(True, 0.5))
    assert (await overrides.read_override(conn)).rollout_pct == 0.25
    assert len(await overrides.list_audit(conn)) == 1


async def test_the_soak_starts_at_the_last_real_change_not_at_a_hold_or_a_same_value_write(conn):
    assert await overrides.last_change_at(conn) is None
    await overrides.set_override(conn, ENV, rollout_pct=0.25, actor="sre", reason="phase 2")
    changed = await overrides.last_change_at(conn)
    await overrides.set_override(conn, ENV, rollout_pct=0.25, actor="sre", reason="same again")
    await overrides.record_decision(conn, ENV, actor="guard", action="guard_hold", reason="soak", details={})
    assert await overrides.last_change_at(conn) == changed


async def test_the_last_stable_percentage_is_the_latest_one_promoted_from_below_the_current(conn):
    for pct, old in ((0.25, 0.1), (0.5, 0.25)):
        await overrides.set_override(conn, ENV, rollout_pct=pct, actor="guard", reason="promote",
                                     action=PROMOTE_ACTION)
    assert await overrides.last_stable_pct(conn, 0.5, PROMOTE_ACTION) == 0.25
    assert await overrides.last_stable_pct(conn, 0.25, PROMOTE_ACTION) == 0.1
    assert await overrides.last_stable_pct(conn, 0.1, PROMOTE_ACTION) is None
