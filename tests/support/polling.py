"""Waiting for a condition in async tests: poll it, never sleep a guessed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

POLL_SEC = 0.02


async def until(condition: Callable[[], Any | Awaitable[Any]], *, what: str, timeout: float = 10.0) -> Any:
    """Poll `condition` (sync or async) until it is truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(POLL_SEC)
