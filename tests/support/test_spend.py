"""The in-memory spend cap the LLM tests use behaves like the real one: refuse at the cap, reset daily."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.support.spend import InMemorySpendGuard


async def test_spend_guard_allows_until_the_daily_budget_is_reached() -> None:
    guard = InMemorySpendGuard(daily_budget_usd=1.0)
    assert await guard.allow()
    await guard.add(0.6)
    assert await guard.allow()
    await guard.add(0.4)
    assert not await guard.allow()


async def test_spend_guard_without_budget_never_refuses() -> None:
    guard = InMemorySpendGuard(daily_budget_usd=None)
    await guard.add(1_000_000.0)
    assert await guard.allow()


async def test_spend_guard_with_zero_budget_refuses_at_once() -> None:
    assert not await InMemorySpendGuard(daily_budget_usd=0).allow()


async def test_spend_guard_starts_afresh_on_a_new_utc_day() -> None:
    day = [dt.date(2025, 1, 1)]
    guard = InMemorySpendGuard(daily_budget_usd=1.0, today=lambda: day[0])
    await guard.add(1.0)
    assert not await guard.allow()
    day[0] = dt.date(2025, 1, 2)
    assert await guard.allow()
    assert guard.spent_today_usd == 0.0


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "10"])
def test_invalid_daily_budget_is_rejected_naming_the_value(bad: object) -> None:
    with pytest.raises(ValueError, match=re.escape(f"got {bad!r}")):
        InMemorySpendGuard(daily_budget_usd=bad)  # type: ignore[arg-type]


async def test_negative_spend_is_rejected() -> None:
    with pytest.raises(ValueError, match="-0.5"):
        await InMemorySpendGuard(daily_budget_usd=1.0).add(-0.5)
