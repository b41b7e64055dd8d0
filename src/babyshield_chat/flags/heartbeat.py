"""The `chat_flag_state` log line: the flag an instance serves, every half minute.

CloudWatch sees the service only through its log group (infra/cloudwatch),
and its no-traffic alarm must tell "clients cannot reach the chat" from
"nobody is meant to reach it": after the kill switch, or at a 0% rollout,
silence is expected and must not page. The Prometheus rule reads that from
the `chat_flag_enabled` / `chat_flag_rollout_ratio` gauges; this line is the
same fact for a reader of logs. Every instance logs it at start and then
every `HEARTBEAT_SEC`, so each one-minute period of a live instance holds at
least one, whether or not any request arrives.

Fields: `enabled`, `rollout_pct`, `source` (`env`/`override`) and `stale`
(the store could not confirm the value with the database lately), exactly
what `/api/v1/chat/flags` reports globally. No user data.
"""

from __future__ import annotations

import asyncio
from typing import Final

from babyshield_chat.flags.evaluation import FlagState
from babyshield_chat.flags.store import OverrideStore
from babyshield_chat.telemetry.logging import EventLog

FLAG_STATE_EVENT: Final = "chat_flag_state"
#: Two lines a minute: a one-minute metric period always holds one, even when the timer drifts.
HEARTBEAT_SEC: Final = 30.0

log = EventLog("babyshield_chat.flags.heartbeat")


def log_flag_state(state: FlagState) -> None:
    log.info(FLAG_STATE_EVENT, enabled=state.enabled, rollout_pct=state.rollout_pct, source=state.source,
             stale=state.stale)


async def run_heartbeat(store: OverrideStore, interval_sec: float = HEARTBEAT_SEC) -> None:
    """Log the served flag now and every `interval_sec` until cancelled."""
    if not interval_sec > 0:
        raise ValueError(f"interval_sec must be positive, got {interval_sec!r}")
    while True:
        log_flag_state(store.current())
        await asyncio.sleep(interval_sec)
