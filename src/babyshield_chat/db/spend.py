"""The daily LLM spend cap shared by every instance (spec section 4, `BS_LLM_DAILY_BUDGET_USD`).

Spend is added per UTC day and model in `llm_spend`; `allow()` compares
today's total across all instances with the cap.

Neither call costs a database round trip per LLM call: `add` accumulates
spend in memory and writes it at most once per `flush_interval_s` (and at
shutdown, `flush()`), and `allow` re-reads the shared total at most that
often, counting this instance's own spend since at once. So the cap can be
overshot by what the other instances spend within one interval (1 s by
default), in exchange for no write contention on the day's row when
thousands of requests finish together.

The store being down must not fail chat requests: both calls are bounded
and fall back to the last total known to this instance (plus what it spent
since); spend that could not be written is kept and written with the next
flush.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable

import asyncpg

from .pool import Database, DatabaseUnavailable

DEFAULT_TIMEOUT_SEC = 0.2
# Spend accounting never fails a chat answer, whatever the database says.
_STORE_DOWN = (DatabaseUnavailable, TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
DEFAULT_FLUSH_INTERVAL_SEC = 1.0
log = logging.getLogger("babyshield_chat.spend")


class PostgresSpendGuard:
    def __init__(self, database: Database, daily_budget_usd: float | None, *, model: str,
                 today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date(),
                 flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_SEC,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._database = database
        self._budget = daily_budget_usd
        self._model = model
        self._today = today
        self._interval = flush_interval_s
        self._clock = clock
        self._known: tuple[dt.date, float] | None = None  # (day, total spent that day, all instances)
        self._read_at = float("-inf")
        self._pending: defaultdict[dt.date, float] = defaultdict(float)  # spent here, not written yet
        self._flushed_at = clock()

    async def allow(self) -> bool:
        if self._budget is None:
            return True
        day = self._today()
        if self._known is None or self._known[0] != day or self._clock() - self._read_at >= self._interval:
            await self._read_total(day)
        total = self._known[1] if self._known and self._known[0] == day else 0.0
        return total < self._budget

    async def add(self, usd: float) -> None:
        if usd <= 0:
            return
        day = self._today()
        if self._known and self._known[0] == day:
            self._known = (day, self._known[1] + usd)
        self._pending[day] += usd
        if self._clock() - self._flushed_at >= self._interval:
            await self.flush()

    async def flush(self) -> None:
        """Writes the spend accumulated here; on failure it is kept for the next flush."""
        self._flushed_at = self._clock()
        pending, self._pending = self._pending, defaultdict(float)
        if not pending:
            return
        try:
            async with asyncio.timeout(DEFAULT_TIMEOUT_SEC):
                async with self._database.connection(timeout=DEFAULT_TIMEOUT_SEC) as conn:
                    await conn.executemany(
                        """INSERT INTO llm_spend (day, model, usd) VALUES ($1, $2, $3)
                           ON CONFLICT (day, model) DO UPDATE SET usd = llm_spend.usd + EXCLUDED.usd""",
                        [(day, self._model, usd) for day, usd in pending.items()],
                    )
        except _STORE_DOWN:
            log.warning("LLM spend not recorded yet: database unavailable; kept for the next flush")
            for day, usd in pending.items():
                self._pending[day] += usd

    async def _read_total(self, day: dt.date) -> None:
        self._read_at = self._clock()
        try:
            async with asyncio.timeout(DEFAULT_TIMEOUT_SEC):
                async with self._database.connection(timeout=DEFAULT_TIMEOUT_SEC) as conn:
                    stored = float(await conn.fetchval(
                        "SELECT coalesce(sum(usd), 0) FROM llm_spend WHERE day = $1", day))
        except _STORE_DOWN:
            return  # keep the last total known (with this instance's spend since)
        # What this instance spent but has not written yet is not in the table.
        self._known = (day, stored + self._pending.get(day, 0.0))
