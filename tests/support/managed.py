"""Child processes of the alert end-to-end stack: file-backed output, async readiness, always stopped.

A `ManagedProcess` runs one command with its stdout and stderr in files of
its own (tests read the service's real log lines from there), waits for an
HTTP readiness URL by polling it within a deadline, and is stopped with
SIGTERM, then SIGKILL if it does not exit in time. `python_command_env`
builds the environment of a `python -m babyshield_chat ...` child: it runs
this checkout's code (the virtualenv's editable install may point at another
one) and inherits no `BS_*` variable from whoever runs the tests.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp

SRC = Path(__file__).resolve().parents[2] / "src"
READY_TIMEOUT_SEC = 60.0
STOP_TIMEOUT_SEC = 10.0
_POLL_SEC = 0.1


def python_command_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment of a `python -m babyshield_chat` child running this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "OTEL_"))}
    env["PYTHONPATH"] = str(SRC)
    # Log lines reach the file as they are written, not when a buffer fills.
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def babyshield_chat_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "babyshield_chat", *args]


class ManagedProcess:
    """One child process whose output lands in `<log_dir>/<name>.out` and `.err`."""

    def __init__(self, name: str, command: Sequence[str], *, env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.command = list(command)
        self.env = dict(env)
        self.stdout_path = log_dir / f"{name}.out"
        self.stderr_path = log_dir / f"{name}.err"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            # The child keeps its own copies of the descriptors.
            self.process = subprocess.Popen(self.command, env=self.env, stdout=out, stderr=err)

    def describe_exit(self) -> str:
        tail = self.stderr_path.read_text(errors="replace")[-3000:] if self.stderr_path.exists() else ""
        code = self.process.poll() if self.process else None
        return f"{self.name} ({' '.join(self.command)}) exited with {code}; stderr tail:\n{tail}"

    async def wait_until_ready(self, url: str, *, timeout: float = READY_TIMEOUT_SEC) -> None:
        """Poll `url` until it answers 200; fail early when the process dies."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while True:
                assert self.process is not None and self.process.poll() is None, self.describe_exit()
                try:
                    async with session.get(url) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass  # not listening yet
                assert time.monotonic() < deadline, f"{self.name} not ready at {url} after {timeout}s"
                await asyncio.sleep(_POLL_SEC)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after `STOP_TIMEOUT_SEC`; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SEC)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
