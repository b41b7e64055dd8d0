"""The daily LLM spend cap shared by every instance (spec section 4, `BS_LLM_DAILY_BUDGET_USD`).

Spend is added per UTC day in `llm_spend`; `allow()` compares today's total
across all instances with the cap. The store being down must not fail chat
requests, so both calls are bounded and fall back to the last total known to
this instance (plus what it spent since).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from .pool import Database, DatabaseUnavailable

DEFAULT_TIMEOUT_SEC = 0.2
log = logging.getLogger("babyshield_chat.spend")


class PostgresSpendGuard:
    def __init__(self, database: Database, daily_budget_usd: float | None, *, model: str,
                 today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date()) -> None:
        self._database = database
        self._budget = daily_budget_usd
        self._model = model
        self._today = today
        self._known: tuple[dt.date, float] | None = None  # (day, total spent that day)

    async def allow(self) -> bool:
        if self._budget is None:
            return True
        day = self._today()
        try:
            async with asyncio.timeout(DEFAULT_TIMEOUT_SEC):
                async with self._database.connection(timeout=DEFAULT_TIMEOUT_SEC) as conn:
                    total = float(await conn.fetchval("SELECT coalesce(sum(usd), 0) FROM llm_spend WHERE day = $1", day))
            self._known = (day, total)
        except (DatabaseUnavailable, TimeoutError, OSError):
            total = self._known[1] if self._known and self._known[0] == day else 0.0
        return total < self._budget

    async def add(self, usd: float) -> None:
        if usd <= 0:
            return
        day = self._today()
        if self._known and self._known[0] == day:
            self._known = (day, self._known[1] + usd)
        try:
            async with asyncio.timeout(DEFAULT_TIMEOUT_SEC):
                async with self._database.connection(timeout=DEFAULT_TIMEOUT_SEC) as conn:
                    await conn.execute(
                        """INSERT INTO llm_spend (day, model, usd) VALUES ($1, $2, $3)
                           ON CONFLICT (day, model) DO UPDATE SET usd = llm_spend.usd + EXCLUDED.usd""",
                        day, self._model, usd,
                    )
        except (DatabaseUnavailable, TimeoutError, OSError):
            log.warning("LLM spend not recorded: database unavailable")
