"""Per-user limits: message rate, request rate and requests in flight (spec sections 4 and 4a).

`UserLimits.admit` is what every user endpoint passes through once the
caller is known: a token from the user's bucket (chat messages have their
own bucket, `BS_CHAT_USER_RATE_PER_MIN`; profile, history and erase share a
second one of the same size, so reading history never costs a message), and
one of the user's `BS_CHAT_USER_MAX_INFLIGHT` slots. Either refusal is 429
`rate_limited` with `Retry-After`: whatever one user sends, at most a few of
their requests hold the instance's capacity, and everyone else (emergencies
included) is still answered.

A token bucket per user: `rate` messages a minute with a burst of the same
size, refilled continuously, so a parent who paused can send again at once
and a script is held to the rate. Buckets live in this process: with N
instances behind a balancer the effective limit is up to N times the rate,
which is fine for its purpose (protecting the LLM budget from one runaway
client), and costs no database round trip. Idle buckets are dropped so the
table stays bounded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Literal

from babyshield_chat.api.errors import ApiError

DEFAULT_MAX_USERS = 100_000


class RateLimiter:
    def __init__(self, per_minute: int, *, max_users: int = DEFAULT_MAX_USERS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError(f"per_minute must be positive, got {per_minute!r}")
        self._capacity = float(per_minute)
        self._refill_per_sec = per_minute / 60.0
        self._max_users = max_users
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, at)

    def acquire(self, key: str) -> float:
        """Take one token; return 0 when allowed, else the seconds until one is available."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - at) * self._refill_per_sec)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) / self._refill_per_sec
        while len(self._buckets) > self._max_users:
            self._buckets.popitem(last=False)  # least recently seen
        return wait

    @staticmethod
    def retry_after_header(wait_sec: float) -> str:
        return str(max(1, math.ceil(wait_sec)))


class UserInflight:
    """How many requests each user has in flight; a user at `max_per_user` is refused."""

    def __init__(self, max_per_user: int) -> None:
        if max_per_user <= 0:
            raise ValueError(f"max_per_user must be positive, got {max_per_user!r}")
        self._max = max_per_user
        self._counts: dict[str, int] = {}

    def try_enter(self, key: str) -> bool:
        count = self._counts.get(key, 0)
        if count >= self._max:
            return False
        self._counts[key] = count + 1
        return True

    def leave(self, key: str) -> None:
        count = self._counts.pop(key, 1) - 1
        if count > 0:
            self._counts[key] = count


Kind = Literal["message", "request"]


@dataclasses.dataclass
class UserLimits:
    """The per-user limits of one instance, applied by `admit`."""

    messages: RateLimiter
    requests: RateLimiter
    inflight: UserInflight

    @classmethod
    def create(cls, rate_per_min: int, max_inflight: int) -> UserLimits:
        return cls(RateLimiter(rate_per_min), RateLimiter(rate_per_min), UserInflight(max_inflight))

    @contextlib.contextmanager
    def admit(self, user_id: str, kind: Kind) -> Iterator[None]:
        """Hold one of the user's in-flight slots for the block; 429 `rate_limited` when refused."""
        wait = (self.messages if kind == "message" else self.requests).acquire(user_id)
        if wait > 0:
            raise ApiError(429, "rate_limited", "Too many requests; wait before trying again.",
                           headers={"Retry-After": RateLimiter.retry_after_header(wait)})
        if not self.inflight.try_enter(user_id):
            raise ApiError(429, "rate_limited", "Too many of your requests are still being answered; "
                           "wait for them before sending more.", headers={"Retry-After": "1"})
        try:
            yield
        finally:
            self.inflight.leave(user_id)
