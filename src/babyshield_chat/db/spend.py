"""The daily LLM spend cap shared by every instance (spec section 4, `BS_LLM_DAILY_BUDGET_USD`).

Spend is added per UTC day and model in `llm_spend`; `allow()` compares
today's total across all instances with the cap.

Neither call costs a database round trip per LLM call. `add` only counts in
memory; `run_flusher()`, a background task the app starts, writes what was
counted once per `flush_interval_sec`, and the app calls `flush()` once more at
shutdown. `allow` re-reads the shared total at most once per interval and
adds this instance's own spend since that read at once. So the cap can be
overshot by what the *other* instances spend within about one interval (1 s
by default), in exchange for no write contention on the day's row when
thousands of requests finish together.

The store being down must not fail chat requests: errors are logged, spend
that could not be written is kept for the next flush, and `allow` goes on
from the last total it read plus everything this instance spent since. A
write that timed out after the server committed it may be written again:
the cap errs towards counting too much, never too little.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable

import asyncpg

from babyshield_chat.db.pool import Database, DatabaseUnavailable
from babyshield_chat.telemetry.logging import EventLog

DEFAULT_TIMEOUT_SEC = 0.2
DEFAULT_FLUSH_INTERVAL_SEC = 1.0
# Spend accounting never fails a chat answer, whatever the database says.
_STORE_DOWN = (DatabaseUnavailable, TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
log = EventLog("babyshield_chat.spend")


class PostgresSpendGuard:
    def __init__(self, database: Database, daily_budget_usd: float | None, *, model: str,
                 today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date(),
                 flush_interval_sec: float = DEFAULT_FLUSH_INTERVAL_SEC,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._database = database
        self._budget = daily_budget_usd
        self._model = model
        self._today = today
        self.flush_interval_sec = flush_interval_sec
        self._clock = clock
        self._stored: tuple[dt.date, float] | None = None  # the day's total in the table, at the last read
        self._read_at = float("-inf")
        self._read_day: dt.date | None = None
        self._since_read: defaultdict[dt.date, float] = defaultdict(float)  # spent here since that read
        self._pending: defaultdict[dt.date, float] = defaultdict(float)  # spent here, not written yet
        self._writing: dict[dt.date, float] = {}  # being written right now

    async def allow(self) -> bool:
        if self._budget is None:
            return True
        day = self._today()
        # The read is marked as done before it starts, so of many concurrent
        # callers only one queries; the others go on with what is known.
        if self._read_day != day or self._clock() - self._read_at >= self.flush_interval_sec:
            await self._read_total(day)
        stored = self._stored[1] if self._stored is not None and self._stored[0] == day else 0.0
        return stored + self._since_read[day] < self._budget

    async def add(self, usd: float) -> None:
        if usd <= 0:
            return
        day = self._today()
        self._pending[day] += usd
        self._since_read[day] += usd

    async def flush(self) -> None:
        """Writes the spend counted here; what cannot be written is kept for the next flush."""
        pending, self._pending = self._pending, defaultdict(float)
        if not pending:
            return
        self._writing = dict(pending)
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
            self._keep(pending)
        except BaseException:  # cancelled (shutdown) or a bug: the money was still spent
            self._keep(pending)
            raise
        finally:
            self._writing = {}

    async def run_flusher(self) -> None:
        """Flushes every `flush_interval_sec` until cancelled (the app runs it as a background task)."""
        while True:
            await asyncio.sleep(self.flush_interval_sec)
            try:
                await self.flush()
            except Exception:
                log.exception("LLM spend flush failed; kept for the next one")

    def _keep(self, pending: dict[dt.date, float]) -> None:
        for day, usd in pending.items():
            self._pending[day] += usd

    async def _read_total(self, day: dt.date) -> None:
        self._read_at, self._read_day = self._clock(), day
        try:
            async with asyncio.timeout(DEFAULT_TIMEOUT_SEC):
                async with self._database.connection(timeout=DEFAULT_TIMEOUT_SEC) as conn:
                    stored = float(await conn.fetchval(
                        "SELECT coalesce(sum(usd), 0) FROM llm_spend WHERE day = $1", day))
        except _STORE_DOWN:
            return  # go on from the last total read, plus everything spent here since
        self._stored = (day, stored)
        # Not in the table yet: what is pending and what is being written (if that write
        # commits before this read's snapshot, it is counted twice until the next read).
        unwritten = self._pending.get(day, 0.0) + self._writing.get(day, 0.0)
        self._since_read = defaultdict(float, {day: unwritten})
