"""A local webhook receiver standing in for the pager, the chat room and the ticket queue.

Alertmanager posts its notifications here (the test rewrites every receiver
URL of infra/alertmanager/alertmanager.yml to `<url>/<receiver name>`). Each
notification is kept with the path it arrived on and the monotonic time it
arrived, and `wait_for` wakes on every arrival instead of polling.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import Any

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


class WebhookReceiver:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{receiver}", self._receive)
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
        async with self._arrived:
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
        return web.Response(status=200)

    async def wait_for(self, predicate: Callable[[Delivery], bool], *, after: float, timeout: float) -> Delivery:
        """The first delivery received after `after` (monotonic) that satisfies `predicate`."""

        def found() -> Delivery | None:
            return next((d for d in self.deliveries if d.received_at >= after and predicate(d)), None)

        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(found), timeout)
            except TimeoutError:
                seen = [(d.receiver_path, d.alertname, d.status) for d in self.deliveries if d.received_at >= after]
                raise AssertionError(f"no matching delivery within {timeout}s; received since: {seen}") from None
            delivery = found()
        assert delivery is not None
        return delivery
