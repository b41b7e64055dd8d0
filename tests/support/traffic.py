"""Steady chat traffic against a running service, with what each request saw kept for checks.

`TrafficGenerator` sends `rps` requests per second without waiting for the
previous ones (a slow service must not slow the traffic down, or a latency
fault would also lower the request rate the alerts are guarded by). Most are
recall questions from `users`; every `blocked_every`-th comes from a
denylisted user, so blocked requests exist too. Each response is recorded as
an `Exchange` keyed by its `X-Trace-Id`: tests join it with the service's
`chat_request` log line of the same trace.

`canary_users` picks user ids whose rollout bucket is inside the first
rollout phase, so the traffic keeps flowing at any rollout percentage.
`vote_on` casts a parent's vote on an answer the traffic got.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import time
from collections.abc import Sequence

import aiohttp

from babyshield_chat.flags.evaluation import bucket

CHAT_PATH = "/api/v1/chat/conversation"
FEEDBACK_PATH = "/api/v1/chat/feedback"
QUESTION = {
    "message": "Is this crib recalled?",
    "product": {"name": "Dream Sleeper crib", "brand": "Acme", "category": "crib"},
}
BUCKETS = 100_000
# Per-request ceiling: above the slowest injected latency plus the budget.
REQUEST_TIMEOUT_SEC = 15.0


def canary_users(count: int, *, within_pct: float, prefix: str = "parent") -> list[str]:
    """`count` user ids that the rollout includes from `within_pct` upwards (buckets are monotonic)."""
    limit = round(within_pct * BUCKETS)
    candidates = (f"{prefix}-{i}" for i in itertools.count())
    return list(itertools.islice((user for user in candidates if bucket(user) < limit), count))


@dataclasses.dataclass(frozen=True)
class Exchange:
    """One request as the client saw it."""

    user: str
    started_at: float  # time.monotonic()
    latency_sec: float
    status: int
    trace_id: str
    error_code: str | None
    synthesizer: str | None
    fallback_reason: str | None
    message_id: str | None = None  # what a parent votes on (POST /api/v1/chat/feedback)


class TrafficGenerator:
    def __init__(self, base_url: str, users: Sequence[str], *, rps: float, blocked_user: str,
                 blocked_every: int) -> None:
        self.base_url = base_url
        self.users = list(users)
        self.rps = rps
        self.blocked_user = blocked_user
        self.blocked_every = blocked_every
        self.exchanges: list[Exchange] = []
        self.failures: list[str] = []  # transport errors: the service must never drop a request
        self._session: aiohttp.ClientSession | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._in_flight: dict[asyncio.Task[None], float] = {}  # task -> when it was sent

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SEC))
        self._loop_task = asyncio.create_task(self._send_forever())

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.gather(*list(self._in_flight), return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def since(self, moment: float) -> list[Exchange]:
        """Exchanges started at or after `moment` (monotonic) and already answered."""
        return [e for e in self.exchanges if e.started_at >= moment]

    async def drain(self, before: float, *, timeout: float = REQUEST_TIMEOUT_SEC) -> None:
        """Wait until every request sent before `before` (monotonic) has been answered."""
        deadline = time.monotonic() + timeout
        while any(sent < before for sent in self._in_flight.values()):
            assert time.monotonic() < deadline, "requests still unanswered after their timeout"
            await asyncio.sleep(0.05)

    async def _send_forever(self) -> None:
        interval = 1 / self.rps
        next_at = time.monotonic()
        for n in itertools.count(1):
            user = self.blocked_user if n % self.blocked_every == 0 else self.users[n % len(self.users)]
            task = asyncio.create_task(self._send(user))
            self._in_flight[task] = time.monotonic()
            task.add_done_callback(self._forget)
            # A fixed schedule, not a fixed pause: the rate holds whatever each send costs.
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)

    async def _send(self, user: str) -> None:
        assert self._session is not None
        started = time.monotonic()
        try:
            async with self._session.post(self.base_url + CHAT_PATH, json=QUESTION,
                                          headers={"X-User-Id": user}) as response:
                body = await response.json()
                status, trace_id = response.status, response.headers.get("X-Trace-Id", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.failures.append(f"{user}: {exc!r}")
            return
        error = body.get("error") or {}
        self.exchanges.append(Exchange(
            user=user, started_at=started, latency_sec=time.monotonic() - started, status=status,
            trace_id=trace_id, error_code=error.get("code"), synthesizer=body.get("synthesizer"),
            fallback_reason=body.get("fallback_reason"), message_id=body.get("message_id"),
        ))


async def vote_on(session: aiohttp.ClientSession, base_url: str, exchange: Exchange, *, helpful: bool,
                  reason: str | None = None) -> None:
    """The parent who got `exchange`'s answer votes on it (POST /api/v1/chat/feedback); 200 or the test fails."""
    body = {"message_id": exchange.message_id, "helpful": helpful, "reason": reason}
    async with session.post(base_url + FEEDBACK_PATH, json=body, headers={"X-User-Id": exchange.user}) as response:
        assert response.status == 200, await response.text()
