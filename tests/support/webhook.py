"""A local webhook receiver standing in for the pager, the chat room and the ticket queue.

Alertmanager posts its notifications here (the test rewrites every receiver
URL of infra/alertmanager/alertmanager.yml to `<url>/<receiver name>`). Each
notification is kept with the path it arrived on and the monotonic time it
arrived, and `wait_for` wakes on every arrival instead of polling.

The rollout guard's notices (Slack-compatible bodies) arrive here too: every
body is kept whole in `bodies` (`wait_for_body`). `status` and `delay_sec`
make the receiver fail or answer slowly, as a broken chat webhook would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web


@dataclasses.dataclass(frozen=True)
class Delivery:
    """One alert of one notification, as a receiver got it."""

    receiver_path: str
    status: str  # firing | resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    received_at: float  # time.monotonic()

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


@dataclasses.dataclass(frozen=True)
class Body:
    """One POST as it arrived: the path, the JSON body, when."""

    path: str
    json: dict[str, Any]
    received_at: float  # time.monotonic()


T = TypeVar("T", Delivery, Body)


class WebhookReceiver:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.bodies: list[Body] = []
        self.status = 200
        self.delay_sec = 0.0
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{receiver:.+}", self._receive)  # Slack-style paths have several segments
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        now = time.monotonic()
        if self.delay_sec:
            await asyncio.sleep(self.delay_sec)
        async with self._arrived:
            self.bodies.append(Body(request.match_info["receiver"], body, now))
            for alert in body.get("alerts", []):
                self.deliveries.append(
                    Delivery(
                        receiver_path=request.match_info["receiver"],
                        status=alert["status"],
                        labels=alert.get("labels", {}),
                        annotations=alert.get("annotations", {}),
                        received_at=now,
                    )
                )
            self._arrived.notify_all()
        return web.Response(status=self.status)

    async def wait_for(self, predicate: Callable[[Delivery], bool], *, after: float, timeout: float) -> Delivery:
        """The first delivery received after `after` (monotonic) that satisfies `predicate`."""
        return await self._first(self.deliveries, predicate, after, timeout,
                                 lambda d: (d.receiver_path, d.alertname, d.status))

    async def wait_for_body(self, predicate: Callable[[Body], bool], *, after: float, timeout: float) -> Body:
        """The first body received after `after` (monotonic) that satisfies `predicate`."""
        return await self._first(self.bodies, predicate, after, timeout, lambda b: b.json.get("text", "")[:100])

    async def _first(self, items: list[T], predicate: Callable[[T], bool], after: float, timeout: float,
                     show: Callable[[T], object]) -> T:
        """Wakes on every arrival; fails naming what did arrive meanwhile."""

        def found() -> T | None:
            return next((i for i in items if i.received_at >= after and predicate(i)), None)

        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(found), timeout)
            except TimeoutError:
                seen = [show(i) for i in items if i.received_at >= after]
                raise AssertionError(f"nothing matching within {timeout}s; received since: {seen}") from None
            item = found()
        assert item is not None
        return item
