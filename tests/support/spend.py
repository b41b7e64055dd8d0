"""A spend cap for one process, for the LLM tests: the production cap is `db.spend.PostgresSpendGuard`."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable


class InMemorySpendGuard:
    """A spend cap for one process; resets at midnight UTC.

    `daily_budget_usd` None means no cap; 0 means no LLM spending at all.
    """

    def __init__(
        self,
        daily_budget_usd: float | None,
        *,
        today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date(),
    ) -> None:
        if daily_budget_usd is not None and (
            isinstance(daily_budget_usd, bool)
            or not isinstance(daily_budget_usd, (int, float))
            or not math.isfinite(daily_budget_usd)
            or daily_budget_usd < 0
        ):
            raise ValueError(f"daily_budget_usd must be a non-negative number, got {daily_budget_usd!r}")
        self.daily_budget_usd = daily_budget_usd
        self._today = today
        self._day = today()
        self._spent = 0.0

    @property
    def spent_today_usd(self) -> float:
        self._roll_over()
        return self._spent

    async def allow(self) -> bool:
        return self.daily_budget_usd is None or self.spent_today_usd < self.daily_budget_usd

    async def add(self, usd: float) -> None:
        if not math.isfinite(usd) or usd < 0:
            raise ValueError(f"spend must be a non-negative number of USD, got {usd!r}")
        self._roll_over()
        self._spent += usd

    def _roll_over(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._spent = today, 0.0
