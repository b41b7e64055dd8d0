"""heartbeat.py: every instance logs the flag it serves, at start and every half minute, requests or not."""

import asyncio
import contextlib

import pytest

from babyshield_chat.config import FlagSettings, load_settings
from babyshield_chat.db.pool import Database
from babyshield_chat.flags.heartbeat import FLAG_STATE_EVENT, run_heartbeat
from babyshield_chat.flags.store import OverrideStore

from tests.support.logs import captured_logs

DEV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "0.10"}
FIELDS = ("enabled", "rollout_pct", "source", "stale")


def flag_lines(logs) -> list[tuple]:
    return [tuple(line[k] for k in FIELDS) for line in logs.lines() if line.get("event") == FLAG_STATE_EVENT]


async def test_each_beat_logs_the_flag_served_at_that_moment(database_url):
    database = Database(database_url, load_settings({}).database)
    await database.start()
    store = OverrideStore(database_url, FlagSettings(enabled=True, rollout_pct=0.1), database)
    await store.start()
    with captured_logs() as logs:
        beat = asyncio.create_task(run_heartbeat(store, interval_sec=0.05))
        try:
            await asyncio.sleep(0.12)
            await store.set_override(enabled=False, actor="sre", reason="kill")
            await asyncio.sleep(0.12)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            await store.stop()
            await database.close()
    seen = flag_lines(logs)
    assert seen[0] == (True, 0.1, "env", False)
    assert seen[-1] == (False, 0.1, "override", False)
    assert len(seen) >= 4  # at start, then once per interval on both sides of the change
    # What the OTLP log record carries is the same line.
    assert [e for e in logs.exported() if e["event"] == FLAG_STATE_EVENT][-1]["enabled"] is False


async def test_the_app_logs_its_flag_at_start_before_any_request(apps):
    with captured_logs() as logs:
        await apps.client(DEV)  # no database: env values, marked stale
        await asyncio.sleep(0)
    assert flag_lines(logs)[:1] == [(True, 0.1, "env", True)]


async def test_a_non_positive_interval_is_refused(database_url):
    store = OverrideStore(database_url, FlagSettings())
    with pytest.raises(ValueError, match="interval_sec must be positive, got 0"):
        await run_heartbeat(store, interval_sec=0)
