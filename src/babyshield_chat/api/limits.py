"""Per-user message rate limiting (spec section 4, `BS_CHAT_USER_RATE_PER_MIN`).

A token bucket per user: `rate` messages a minute with a burst of the same
size, refilled continuously, so a parent who paused can send again at once
and a script is held to the rate. Buckets live in this process: with N
instances behind a balancer the effective limit is up to N times the rate,
which is fine for its purpose (protecting the LLM budget from one runaway
client), and costs no database round trip. Idle buckets are dropped so the
table stays bounded.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

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
