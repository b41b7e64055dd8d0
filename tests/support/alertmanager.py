"""A real Alertmanager (the Debian binary) running the project's own routing, for end-to-end tests.

The configuration is infra/alertmanager/alertmanager.yml itself, with two
changes only: every receiver's webhook URL points at the test's local
receiver (`<webhook>/<receiver name>`, so a test sees which route a
notification took), and every route's group_wait / group_interval is cut to
`GROUP_DELAY` so a notification leaves within a second or two instead of
minutes. Routing, grouping keys and inhibition stay exactly as deployed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from babyshield_chat.db.embedded import free_port

from babyshield_chat.devtools.processes import terminate, wait_answering

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / "infra" / "alertmanager" / "alertmanager.yml"
GROUP_DELAY = "1s"
READY_TIMEOUT_SEC = 30


def drill_config(webhook_url: str, source: Path = CONFIG) -> dict[str, Any]:
    """The deployed configuration, delivering to `webhook_url` without the production delays."""
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    for receiver in config["receivers"]:
        for webhook in receiver.get("webhook_configs", []):
            webhook["url"] = f"{webhook_url}/{receiver['name']}"
    _shorten(config["route"], top=True)
    return config


def _shorten(route: dict[str, Any], *, top: bool) -> None:
    # Child routes inherit from the top one unless they set their own value.
    for key in ("group_wait", "group_interval"):
        if top or key in route:
            route[key] = GROUP_DELAY
    for child in route.get("routes", []):
        _shorten(child, top=False)


class Alertmanager:
    def __init__(self, binary: str, webhook_url: str) -> None:
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="bs-alertmanager-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.target = f"127.0.0.1:{self.port}"
        (self.dir / "alertmanager.yml").write_text(yaml.safe_dump(drill_config(webhook_url), sort_keys=False))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.dir / "alertmanager.log", "wb") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={self.dir / 'alertmanager.yml'}",
                    f"--storage.path={self.dir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    # A single node: no gossip port, nothing listening beyond loopback.
                    "--cluster.listen-address=",
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        wait_answering(self.process, f"{self.url}/-/ready", name="alertmanager", log=self.log,
                       timeout=READY_TIMEOUT_SEC)

    async def alerts(self, alertname: str) -> list[dict[str, Any]]:
        """What Alertmanager holds for `alertname` (API v2), with its state and inhibitions."""
        params = {"filter": f'alertname="{alertname}"'}
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/api/v2/alerts", params=params) as r:
            assert r.status == 200, await r.text()
            return await r.json()

    def log(self) -> str:
        path = self.dir / "alertmanager.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)
