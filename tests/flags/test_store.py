"""The runtime override store: what every instance serves after an admin changes the flag.

Two app instances share one real PostgreSQL, as N ECS tasks share RDS.
"""

import asyncio
import datetime
import time

import asyncpg
import pytest

from babyshield_chat.config import FlagSettings, load_settings
from babyshield_chat.db.pool import Database
from babyshield_chat.flags import overrides
from babyshield_chat.flags.store import APPLICATION_NAME, OverrideStore

from tests.support.apps import DEAD_DATABASE_URL

TOKEN = "s3cret-admin-token"
ENV = {"BS_ADMIN_TOKEN": TOKEN, "BS_AUTH_MODE": "dev",
       "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1.0"}
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
PROPAGATION_BOUND_SEC = 2.0  # spec section 3


async def flags_of(client, user="user-1"):
    response = await client.get("/api/v1/chat/flags", headers={"X-User-Id": user})
    assert response.status == 200
    return await response.json()


async def wait_for(predicate, timeout):
    """Poll an async predicate; return the seconds it took, or fail after `timeout`."""
    started = time.monotonic()
    while not await predicate():
        assert time.monotonic() - started < timeout, f"not true within {timeout} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def listener_pids(database_url):
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = "
                                "current_database()", APPLICATION_NAME)
        return [row["pid"] for row in rows]
    finally:
        await conn.close()


async def test_kill_switch_set_on_one_instance_is_honoured_by_the_other_within_two_seconds(apps, database_url):
    first = await apps.client(ENV, database_url=database_url)
    second = await apps.client(ENV, database_url=database_url)
    assert (await flags_of(second))["chat_enabled_for_user"] is True

    response = await first.put("/api/v1/admin/flags/chat", headers=ADMIN,
                               json={"enabled": False, "reason": "incident 42: error spike"})
    assert response.status == 200, await response.text()
    started = time.monotonic()

    async def second_is_off():
        return (await flags_of(second))["chat_enabled_for_user"] is False

    elapsed = await wait_for(second_is_off, PROPAGATION_BOUND_SEC)
    print(f"\noverride propagation across instances: {(time.monotonic() - started) * 1000:.1f} ms")
    assert elapsed < PROPAGATION_BOUND_SEC
    body = await flags_of(second)
    assert (body["reason"], body["source"], body["source_stale"]) == ("disabled", "override", False)
    blocked = await second.post("/api/v1/chat/conversation", json={"message": "Is this crib recalled?"},
                                headers={"X-User-Id": "user-1"})
    assert (blocked.status, (await blocked.json())["error"]["code"]) == (403, "chat_disabled")


async def test_removing_the_override_sends_every_instance_back_to_env(apps, database_url):
    first = await apps.client(ENV, database_url=database_url)
    second = await apps.client(ENV, database_url=database_url)
    await first.put("/api/v1/admin/flags/chat", headers=ADMIN, json={"rollout_pct": 0.0, "reason": "pause"})

    async def second_sees(pct, source):
        body = await flags_of(second)
        return (body["chat_rollout_pct"], body["source"]) == (pct, source)

    await wait_for(lambda: second_sees(0.0, "override"), PROPAGATION_BOUND_SEC)
    response = await first.delete("/api/v1/admin/flags/chat", headers=ADMIN, json={"reason": "resume"})
    assert response.status == 200
    await wait_for(lambda: second_sees(1.0, "env"), PROPAGATION_BOUND_SEC)


async def test_an_override_survives_a_restart(apps, database_url):
    first = await apps.client(ENV, database_url=database_url)
    await first.put("/api/v1/admin/flags/chat", headers=ADMIN, json={"rollout_pct": 0.1, "reason": "canary 10%"})
    await first.close()

    restarted = await apps.client(ENV, database_url=database_url)
    # Read before anything else: the factory's start-up waits for the first sync.
    body = await flags_of(restarted, user="user-1")  # bucket 64584: out at 10%
    assert (body["chat_rollout_pct"], body["source"], body["reason"]) == (0.1, "override", "rollout_excluded")


async def test_listener_recovers_after_its_connection_is_terminated(apps, database_url):
    first = await apps.client(ENV, database_url=database_url)
    second = await apps.client(ENV, database_url=database_url)
    pids = await listener_pids(database_url)
    assert len(pids) == 2
    admin = await asyncpg.connect(database_url)
    try:
        for pid in pids:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()

    async def listeners_back():
        current = await listener_pids(database_url)
        return len(current) == 2 and not set(current) & set(pids)

    await wait_for(listeners_back, 10)
    await first.put("/api/v1/admin/flags/chat", headers=ADMIN, json={"enabled": False, "reason": "after failover"})

    async def second_is_off():
        return (await flags_of(second))["chat_enabled_global"] is False

    await wait_for(second_is_off, PROPAGATION_BOUND_SEC)


async def test_an_instance_that_loses_the_database_keeps_the_last_value_and_says_so(database_url, pg_server):
    env = FlagSettings(enabled=True, rollout_pct=1.0)
    database = Database(database_url, load_settings({}).database)
    await database.start()
    store = OverrideStore(database_url, env, database, resync_sec=0.2, backoff_max_sec=0.5)
    changes = []
    store.add_change_listener(changes.append)
    await store.start()
    try:
        await store.set_override(enabled=False, actor="sre", reason="kill")
        assert store.current().enabled is False and store.stale is False

        # The database goes away: terminate every connection and refuse new ones.
        name = database_url.rpartition("/")[2]
        admin = await asyncpg.connect(pg_server)
        try:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
            outage_started = datetime.datetime.now(datetime.UTC)

            async def is_stale():
                return store.stale

            await wait_for(is_stale, 5)
            state = store.current()
            assert (state.enabled, state.source, state.stale) == (False, "override", True)
            synced = store.last_sync
            assert synced is not None and synced < outage_started
            assert store.status().listening is False
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await admin.close()

        async def is_fresh():
            return not store.stale

        await wait_for(is_fresh, 5)
        assert store.last_sync > synced
        assert len(changes) == 1  # the kill; losing and finding the database again changed nothing served
    finally:
        await store.stop()
        await database.close()


async def test_an_instance_that_never_reached_the_database_serves_env_marked_stale(apps):
    client = await apps.client(ENV, database_url=DEAD_DATABASE_URL)
    body = await flags_of(client)
    assert (body["chat_enabled_global"], body["source"], body["source_stale"]) == (True, "env", True)


async def test_listeners_are_told_of_each_change_for_metrics(database_url):
    database = Database(database_url, load_settings({}).database)
    await database.start()
    store = OverrideStore(database_url, FlagSettings(enabled=True, rollout_pct=0.5), database)
    seen = []
    store.add_listener(lambda state: seen.append((state.enabled, state.rollout_pct, state.source, state.stale)))
    await store.start()
    try:
        await store.set_override(rollout_pct=0.25, actor="sre", reason="step")
        await store.set_override(rollout_pct=0.25, actor="sre", reason="same value again")
    finally:
        await store.stop()
        await database.close()
    assert seen == [(True, 0.5, "env", False), (True, 0.25, "override", False)]


async def test_change_listeners_hear_overrides_applied_and_removed_but_not_the_first_read(database_url):
    conn = await asyncpg.connect(database_url)
    database = Database(database_url, load_settings({}).database)
    await database.start()
    env = FlagSettings(enabled=True, rollout_pct=0.5)
    # An override already in place when the instance starts: adopting it is not a change.
    await overrides.set_override(conn, env, rollout_pct=0.1, actor="sre", reason="before this instance")
    store = OverrideStore(database_url, env, database)
    changes = []
    store.add_change_listener(lambda state: changes.append((state.enabled, state.rollout_pct, state.source)))
    await store.start()
    try:
        assert store.current().rollout_pct == 0.1 and changes == []
        await store.set_override(rollout_pct=0.25, actor="sre", reason="step")
        await store.set_override(rollout_pct=0.25, actor="sre", reason="same value again")
        # Another instance's write reaches this one by NOTIFY: applied here, so counted here.
        await overrides.set_override(conn, env, enabled=False, actor="sre", reason="kill from elsewhere")

        async def killed():
            return store.current().enabled is False

        await wait_for(killed, PROPAGATION_BOUND_SEC)
        await store.clear_override(actor="sre", reason="back to env")
    finally:
        await store.stop()
        await database.close()
        await conn.close()
    assert changes == [(True, 0.25, "override"), (False, 0.25, "override"), (True, 0.5, "env")]


async def test_a_failing_listener_callback_does_not_stop_updates(database_url):
    database = Database(database_url, load_settings({}).database)
    await database.start()
    store = OverrideStore(database_url, FlagSettings(enabled=True), database)
    store.add_listener(lambda state: 1 / 0)
    await store.start()
    try:
        await store.set_override(enabled=False, actor="sre", reason="kill")
        assert store.current().enabled is False
    finally:
        await store.stop()
        await database.close()


def test_a_store_refuses_a_non_positive_resync_interval():
    with pytest.raises(ValueError, match="resync_sec must be positive, got 0"):
        OverrideStore(DEAD_DATABASE_URL, FlagSettings(), resync_sec=0)
