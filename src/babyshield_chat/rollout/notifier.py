"""Delivering the guard's notices to `BS_ROLLOUT_NOTIFY_URL`, without ever holding the guard up.

    notifier = Notifier(settings.rollout.notify_url)
    await notifier.send(decision_notice(...))     # waits at most timeout_sec; never raises
    notifier.publish(notice)                      # in the background (the admin API's request does not wait)
    await notifier.close()                        # lets background sends finish, within the timeout

A notice is one JSON POST (a Slack-compatible incoming webhook). Whatever
goes wrong — the receiver down, slow past `timeout_sec`, answering 4xx/5xx,
a bad URL — is logged as one WARNING line (`rollout_notification_failed`,
with the cause but never the URL: an incoming-webhook URL is a credential)
and counted in `failed`; the guard's decision has already been made and
recorded, and goes on regardless. `sent` counts deliveries the receiver
accepted (2xx).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

from babyshield_chat.telemetry.logging import EventLog

log = EventLog("babyshield_chat.rollout.notify")

DEFAULT_TIMEOUT_SEC = 5.0


class Notifier:
    def __init__(self, url: str, *, timeout_sec: float = DEFAULT_TIMEOUT_SEC) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the notify URL must start with http:// or https://")
        self._url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout_sec)
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[bool]] = set()
        self.sent = 0
        self.failed = 0

    async def send(self, notice: dict[str, Any]) -> bool:
        """Deliver one notice; True when the receiver accepted it. Never raises, never waits past the timeout."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        problem = None
        try:
            async with self._session.post(self._url, json=notice) as response:
                if response.status >= 300:
                    problem = f"the receiver answered HTTP {response.status}"
        except TimeoutError:
            problem = f"no answer within {self._timeout.total:g} s"
        except aiohttp.ClientError as exc:
            problem = f"the receiver is not reachable: {type(exc).__name__}"
        if problem is None:
            self.sent += 1
            return True
        self.failed += 1
        log.warning("rollout_notification_failed", problem=problem, failed=self.failed, sent=self.sent,
                    headline=notice.get("text", "")[:120])
        return False

    def publish(self, notice: dict[str, Any]) -> None:
        """Send in the background; `close()` waits for what is still on its way."""
        task = asyncio.get_running_loop().create_task(self.send(notice), name="rollout-notice")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        if self._pending:
            # Each send ends within the timeout on its own; this only lets them.
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._session is not None:
            with contextlib.suppress(Exception):
                await self._session.close()
            self._session = None
