"""The service and the fake LLM as real processes, for tests that need signals, exits and crashes.

Every process runs this worktree's code (`PYTHONPATH` = the repository's
`src`, whatever the virtualenv's editable install points at), writes its
stdout to a file the test can read back (the JSON log lines), and is stopped
by `stop()` — which the fixtures call in teardown whatever the test did.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from babyshield_chat.db.embedded import free_port

SRC = Path(__file__).resolve().parents[2] / "src"
POLL_SEC = 0.05

# Chat on for everyone with dev identity: the tests pick users by header.
DEV_ENV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1"}


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL_SEC)


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "OTEL_"))}
    env["PYTHONPATH"] = str(SRC)
    env.update(extra)
    return env


class Process:
    """One `python -m babyshield_chat ...` child with its stdout in a file."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str]) -> None:
        self._log = tempfile.NamedTemporaryFile(prefix="bs-proc-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([sys.executable, "-m", "babyshield_chat", *args], env=clean_env(env),
                                     stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON lines written so far (other output, e.g. aiohttp's banner, is skipped)."""
        lines = []
        for line in self.output().splitlines():
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                lines.append(parsed)
        return lines

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go; always reaps and removes its log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        os.unlink(self._log.name)


class ServiceProcess(Process):
    """`babyshield-chat serve` on a free loopback port."""

    def __init__(self, env: Mapping[str, str], *, workers: int = 1, port: int | None = None) -> None:
        self.port = port or free_port()
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if workers > 1:
            args += ["--workers", str(workers)]
        super().__init__(args, env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            assert self.proc.poll() is None, f"the service exited early:\n{self.output()[-3000:]}"
            return http_status(f"{self.url}/readyz") == 200

        wait_for(ready, timeout=timeout, what="the service to be ready")


class FakeLlmProcess(Process):
    """`babyshield-chat fake-llm` on a free loopback port, starting in `mode`."""

    def __init__(self, mode: Mapping[str, Any] | None = None) -> None:
        self.port = free_port()
        args = ["fake-llm", "--port", str(self.port)]
        if mode:
            args += ["--mode", json.dumps(mode)]
        super().__init__(args, {})

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def llm_env(self) -> dict[str, str]:
        return {"BS_LLM_BASE_URL": self.base_url, "BS_LLM_API_KEY": "test-key"}

    def control(self, method: str = "GET", change: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(change).encode() if change is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/control", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=2) as response:
            return json.loads(response.read())

    def wait_ready(self, timeout: float = 30) -> None:
        def ready() -> bool:
            assert self.proc.poll() is None, f"the fake LLM exited early:\n{self.output()[-3000:]}"
            return http_status(f"http://127.0.0.1:{self.port}/control") == 200

        wait_for(ready, timeout=timeout, what="the fake LLM to listen")
