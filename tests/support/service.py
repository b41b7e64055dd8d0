"""The real service configured for the alert drills, with the drill controls tests use.

`DrillService` is `babyshield-chat serve` (a `processes.ServiceProcess`)
configured for drills: dev identity, chat on for everyone, `/metrics`, the
fault-injection endpoints, and a `processes.FakeLlmProcess` as provider. Its
stdout and stderr are files of their own in the drill's log directory; the
stdout is the service's real JSON log, read back with `output_lines()`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from babyshield_chat.devtools.processes import DEV_ENV, FakeLlmProcess, ServiceProcess

ADMIN_TOKEN = "drill-admin-token-0123456789"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class DrillService(ServiceProcess):
    def __init__(self, log_dir: Path, *, database_url: str, llm: FakeLlmProcess, env: Mapping[str, str]) -> None:
        settings = {
            "BS_DATABASE_URL": database_url,
            **DEV_ENV,
            "BS_METRICS_PROMETHEUS": "true",
            "BS_FAULT_INJECTION": "true",
            "BS_ADMIN_TOKEN": ADMIN_TOKEN,
            "BS_LLM_API_KEY": "fake-llm-key",
            "BS_LLM_BASE_URL": llm.base_url,
            **env,
        }
        super().__init__(settings, log_dir=log_dir, separate_stderr=True)

    @property
    def target(self) -> str:
        """`host:port`, as Prometheus scrapes it."""
        return f"127.0.0.1:{self.port}"

    # -- the fault drill (spec section 1) ----------------------------------------

    async def set_faults(self, **faults: Any) -> None:
        await self._admin("PUT", "/api/v1/admin/faults", faults)

    async def clear_faults(self) -> None:
        await self._admin("DELETE", "/api/v1/admin/faults")

    async def _admin(self, method: str, path: str, body: Any = None) -> None:
        async with aiohttp.ClientSession() as session, session.request(
            method, self.url + path, json=body, headers=ADMIN_HEADERS
        ) as response:
            assert response.status == 200, await response.text()

    # -- what the service shows ------------------------------------------------------

    async def flags(self, user_id: str) -> dict[str, Any]:
        async with aiohttp.ClientSession() as session, session.get(
            f"{self.url}/api/v1/chat/flags", headers={"X-User-Id": user_id}
        ) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def metric_names(self) -> set[str]:
        """Names of the series `/metrics` exposes now (as Prometheus stores them)."""
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/metrics") as response:
            assert response.status == 200, await response.text()
            text = await response.text()
        return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}

    def chat_request_lines(self, *, since: int = 0, until: int | None = None) -> list[str]:
        return [line for line in self.output_lines(since=since, until=until) if _event(line) == "chat_request"]


def _event(line: str) -> str | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    return record.get("event") if isinstance(record, dict) else None
