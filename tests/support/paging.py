"""The paging chain of the end-to-end alert tests: Prometheus with the rules → Alertmanager → a local webhook.

`start_paging` starts a `WebhookReceiver`, an `Alertmanager` running the
project's routing towards it, and a `Prometheus` scraping `target` with the
project's rules (time-compressed) and alerting that Alertmanager; each is
stopped by `stop` when the test's stack unwinds. What `target` is (the
service's `/metrics`, or the collector's Prometheus exporter) is the test's
choice: the alerts then see that path only.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

from babyshield_chat.alerting.thresholds import Thresholds
from tests.support.alertmanager import Alertmanager
from tests.support.prometheus import Prometheus
from tests.support.webhook import WebhookReceiver


@dataclasses.dataclass(frozen=True)
class Paging:
    prometheus: Prometheus
    alertmanager: Alertmanager
    webhook: WebhookReceiver


async def start_paging(stop: contextlib.AsyncExitStack, *, alertmanager_binary: str, target: str,
                       thresholds: Thresholds, env: str | None = None) -> Paging:
    """The chain, started; `env` labels the target as a Prometheus of several environments would."""
    webhook = WebhookReceiver()
    stop.push_async_callback(webhook.stop)
    await webhook.start()
    alertmanager = Alertmanager(alertmanager_binary, webhook.url)
    stop.callback(alertmanager.stop)
    await asyncio.to_thread(alertmanager.start)
    prometheus = Prometheus(target, thresholds=thresholds, alertmanager=alertmanager.target, env=env)
    stop.callback(prometheus.stop)
    await asyncio.to_thread(prometheus.start)
    return Paging(prometheus, alertmanager, webhook)
