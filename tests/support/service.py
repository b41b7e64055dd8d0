"""The real service and the fake LLM as subprocesses, with the drill controls tests use.

`FakeLlmProcess` is `babyshield-chat fake-llm` on a free loopback port; its
`PUT /control` switches faults at run time. `ServiceProcess` is
`babyshield-chat serve` configured for drills: dev identity, chat on for
everyone, `/metrics`, the fault-injection endpoints, and the fake LLM as
provider. Its stdout is the service's real JSON log, read back with
`log_lines()`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from babyshield_chat.db.embedded import free_port

from .managed import ManagedProcess, babyshield_chat_command, python_command_env

ADMIN_TOKEN = "drill-admin-token-0123456789"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class FakeLlmProcess:
    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = ManagedProcess(
            "fake-llm",
            babyshield_chat_command("fake-llm", "--port", str(self.port)),
            env=python_command_env({}),
            log_dir=log_dir,
        )

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    async def start(self) -> None:
        self.process.start()
        await self.process.wait_until_ready(f"{self.url}/control")

    async def set_mode(self, **changes: Any) -> None:
        async with aiohttp.ClientSession() as session, session.put(f"{self.url}/control", json=changes) as response:
            assert response.status == 200, await response.text()

    async def reset(self) -> None:
        async with aiohttp.ClientSession() as session, session.delete(f"{self.url}/control") as response:
            assert response.status == 200, await response.text()

    def stop(self) -> None:
        self.process.stop()


class ServiceProcess:
    def __init__(self, log_dir: Path, *, database_url: str, llm: FakeLlmProcess, env: Mapping[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.target = f"127.0.0.1:{self.port}"
        settings = {
            "BS_DATABASE_URL": database_url,
            "BS_AUTH_MODE": "dev",
            "BS_FEATURE_CHAT_ENABLED": "true",
            "BS_FEATURE_CHAT_ROLLOUT_PCT": "1",
            "BS_METRICS_PROMETHEUS": "true",
            "BS_FAULT_INJECTION": "true",
            "BS_ADMIN_TOKEN": ADMIN_TOKEN,
            "BS_LLM_API_KEY": "fake-llm-key",
            "BS_LLM_BASE_URL": llm.base_url,
            **env,
        }
        self.process = ManagedProcess(
            "service",
            babyshield_chat_command("serve", "--port", str(self.port)),
            env=python_command_env(settings),
            log_dir=log_dir,
        )

    async def start(self) -> None:
        self.process.start()
        await self.process.wait_until_ready(f"{self.url}/readyz")

    def stop(self) -> None:
        self.process.stop()

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

    def log_offset(self) -> int:
        """Where the log ends now: `log_lines(since=...)` reads what comes after."""
        return self.process.stdout_path.stat().st_size

    def log_lines(self, *, since: int = 0, until: int | None = None) -> list[str]:
        """Complete lines of the service's stdout between two offsets."""
        with open(self.process.stdout_path, "rb") as log:
            log.seek(since)
            data = log.read() if until is None else log.read(until - since)
        return [line for line in data.decode().splitlines(keepends=True) if line.endswith("\n")]

    def chat_request_lines(self, *, since: int = 0, until: int | None = None) -> list[str]:
        return [line for line in self.log_lines(since=since, until=until) if _event(line) == "chat_request"]


def _event(line: str) -> str | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    return record.get("event") if isinstance(record, dict) else None
