"""A real Prometheus (the Debian binary) on a free loopback port, for end-to-end tests.

It scrapes one target every second (labelled `env` when given, as
infra/prometheus/prometheus.yml labels each environment's targets) and
evaluates the project's recording and alerting rules, rendered from the thresholds definition with time
compressed by `TIME_SCALE`, so a 5-minute rate becomes a few seconds; given
an Alertmanager, it sends that one the alerts. `settle` waits until a query's
answer satisfies a condition (scrapes and rules have caught up).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from babyshield_chat.devtools.alerting.rules import render_rules
from babyshield_chat.alerting.thresholds import Thresholds, load_thresholds
from babyshield_chat.db.embedded import free_port

from babyshield_chat.devtools.processes import terminate, wait_answering
from babyshield_chat.rollout.prometheus import PrometheusClient

TIME_SCALE = 1 / 120
# rate() needs two samples in its window; with 1 s scrapes, 5 s holds five.
WINDOW_FLOOR = timedelta(seconds=5)
READY_TIMEOUT_SEC = 30
SETTLE_TIMEOUT_SEC = 30


class Prometheus:
    def __init__(self, target: str, *, thresholds: Thresholds | None = None, alertmanager: str | None = None,
                 env: str | None = None) -> None:
        self.binary = shutil.which("prometheus")
        if self.binary is None:
            raise RuntimeError("the prometheus binary is missing: apt-get install -y prometheus")
        self.dir = Path(tempfile.mkdtemp(prefix="bs-prometheus-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        thresholds = thresholds or load_thresholds()
        (self.dir / "chat.rules.yml").write_text(
            render_rules(thresholds, time_scale=TIME_SCALE, window_floor=WINDOW_FLOOR))
        alerting = (f"alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{alertmanager}']\n"
                    if alertmanager else "")
        (self.dir / "prometheus.yml").write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "rule_files: [chat.rules.yml]\n"
            f"{alerting}"
            f"scrape_configs:\n  - job_name: {thresholds.job}\n    static_configs:\n"
            f"      - targets: ['{target}']\n"
            + (f"        labels: {{env: {env}}}\n" if env else "")
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, f"--config.file={self.dir / 'prometheus.yml'}",
             f"--storage.tsdb.path={self.dir / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "prometheus.log", "wb"),
        )
        log_path = self.dir / "prometheus.log"
        wait_answering(self.process, f"{self.url}/-/ready", name="prometheus", timeout=READY_TIMEOUT_SEC,
                       log=lambda: log_path.read_text(errors="replace") if log_path.exists() else "")

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


async def settle(url: str, query: str, predicate: Callable[[float | None], bool],
                 timeout: float = SETTLE_TIMEOUT_SEC) -> float | None:
    """Wait until Prometheus' answer to `query` satisfies `predicate` (scrapes and rules have caught up)."""
    async with PrometheusClient(url) as client:
        deadline = time.monotonic() + timeout
        while True:
            sample = await client.query(query)
            if predicate(sample.value):
                return sample.value
            assert time.monotonic() < deadline, f"{query} never settled; last {sample}"
            await asyncio.sleep(0.25)
