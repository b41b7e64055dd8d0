"""The service, the fake LLM and other commands as child processes: the one harness.

The tests (signals, exits, crashes), the soak drill and `bench/` all start
their children through `Process`:

    service = ServiceProcess({"BS_DATABASE_URL": url, **DEV_ENV})
    service.wait_ready()
    ...
    service.stop()

Every child runs from this checkout (`PYTHONPATH` = the folder holding this
`babyshield_chat` package, whatever a virtualenv's install points at) and
inherits no `BS_*` or `OTEL_*` variable from whoever starts it: `child_env`
builds that environment, for `Process` and for callers that run `subprocess`
themselves. A `Process` writes its stdout (and its stderr, merged or in a file
of its own) to files the caller reads back, the service's JSON log lines among
them; it waits for an HTTP readiness URL (or a listening port) by polling
(`polling.wait_for`, or `polling.until` from async code) and fails early when
the child dies; it reports the child's memory and CPU time from /proc; and
`stop()` — which callers run in teardown whatever happened — sends SIGTERM,
then SIGKILL if it does not go.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from babyshield_chat.config import child_environment
from babyshield_chat.db.embedded import free_port

from babyshield_chat.devtools.polling import until, wait_for

# The folder holding this checkout's `babyshield_chat` package: the children run this code.
SRC = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SEC = 60.0
STOP_TIMEOUT_SEC = 30.0

# Chat on for everyone with dev identity: the tests pick users by header.
DEV_ENV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1"}


def child_env(extra: Mapping[str, str] | None = None, *, unbuffered: bool = True) -> dict[str, str]:
    """The environment of a child running this checkout, plus `extra`.

    `unbuffered`: output reaches its file as it is written, not when a buffer
    fills (what a test reading the log needs; a benchmark wants the buffering
    production has).
    """
    own = {"PYTHONPATH": str(SRC), **({"PYTHONUNBUFFERED": "1"} if unbuffered else {})}
    return child_environment({**own, **(extra or {})}, without_prefixes=("BS_", "OTEL_"))


def process_tree(pid: int) -> list[int]:
    """`pid` and every descendant of it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, ()))
    return tree


@contextlib.contextmanager
def frozen_postgres(data_dir: Path):
    """PostgreSQL of the cluster in `data_dir` stopped with SIGSTOP (postmaster and backends) for the block.

    What a hung host or a stalled disk looks like to the service: connections
    open, nothing answers. SIGCONT on leaving, whatever happened.
    """
    postmaster = int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    pids = process_tree(postmaster)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def babyshield_chat_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "babyshield_chat", *args]


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def wait_answering(proc: subprocess.Popen, url: str, *, name: str, log: Callable[[], str],
                   timeout: float = READY_TIMEOUT_SEC) -> None:
    """Poll `url` until it answers 200; fail with `log()`'s tail if `proc` dies or time runs out."""

    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}: {log()[-2000:]}")
        return http_status(url, timeout=1) == 200

    try:
        wait_for(answers, timeout=timeout, what=f"{name} to answer 200 at {url}")
    except AssertionError:
        raise RuntimeError(f"{name} did not start within {timeout} s: {log()[-2000:]}") from None


def terminate(proc: subprocess.Popen, timeout: float = STOP_TIMEOUT_SEC) -> None:
    """SIGTERM, then SIGKILL if `proc` does not exit within `timeout`; always reaped."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Process:
    """One child process (`command`, often `babyshield_chat_command(...)`), started at once, output in files.

    Stdout goes to `<log_dir>/<name>.out`; stderr joins it, or goes to
    `<name>.err` with `separate_stderr`. Without `log_dir` the files live in a
    temporary directory that `stop()` removes. `new_session` puts the child in
    a session of its own, out of reach of a Ctrl-C meant for the caller;
    `unbuffered` as in `child_env`.
    """

    def __init__(self, command: Sequence[str], env: Mapping[str, str], *, name: str = "babyshield-chat",
                 log_dir: Path | None = None, separate_stderr: bool = False, new_session: bool = False,
                 unbuffered: bool = True) -> None:
        self.name = name
        self.command = list(command)
        self._temp_dir = None if log_dir is not None else tempfile.mkdtemp(prefix="bs-proc-")
        log_dir = Path(self._temp_dir) if self._temp_dir else log_dir
        self.stdout_path = log_dir / f"{name}.out"
        self.stderr_path = log_dir / f"{name}.err" if separate_stderr else None
        with open(self.stdout_path, "wb") as out, \
                (open(self.stderr_path, "wb") if self.stderr_path else contextlib.nullcontext(subprocess.STDOUT)) as err:
            # The child keeps its own copies of the descriptors.
            self.proc = subprocess.Popen(self.command, env=child_env(env, unbuffered=unbuffered), stdout=out,
                                         stderr=err, start_new_session=new_session)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

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

    def log_offset(self) -> int:
        """Where stdout ends now: `output_lines(since=...)` reads what comes after."""
        return self.stdout_path.stat().st_size

    def output_lines(self, *, since: int = 0, until: int | None = None) -> list[str]:
        """Complete lines of stdout between two offsets, with their line ends."""
        with open(self.stdout_path, "rb") as log:
            log.seek(since)
            data = log.read() if until is None else log.read(until - since)
        return [line for line in data.decode().splitlines(keepends=True) if line.endswith("\n")]

    def describe_exit(self) -> str:
        """The exit status and the tail of what the child wrote, for a failure message."""
        path = self.stderr_path or self.stdout_path
        tail = path.read_text(encoding="utf-8", errors="replace")[-3000:] if path.exists() else ""
        return f"{self.name} ({' '.join(self.command)}) exited with {self.proc.poll()}; output tail:\n{tail}"

    def _answers(self, url: str, log_line: str | None = None) -> bool:
        assert self.proc.poll() is None, self.describe_exit()
        # With SO_REUSEPORT a sibling may answer on the port: only this child writes its own output.
        return (log_line is None or log_line in self.output()) and http_status(url) == 200

    def wait_until_ready(self, url: str, *, timeout: float = READY_TIMEOUT_SEC, log_line: str | None = None) -> None:
        """Poll `url` until it answers 200 (and this child wrote `log_line`); fail early when the process dies."""
        wait_for(lambda: self._answers(url, log_line), timeout=timeout, what=f"{self.name} to answer 200 at {url}")

    def wait_until_listening(self, port: int, *, timeout: float = READY_TIMEOUT_SEC) -> None:
        """Poll until something accepts connections on loopback `port`; fail early when the process dies."""

        def accepts() -> bool:
            assert self.proc.poll() is None, self.describe_exit()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
            return False

        wait_for(accepts, timeout=timeout, what=f"{self.name} to listen on {port}")

    def memory(self) -> dict[str, int]:
        """The child's current (`rss`) and peak (`peak`) resident memory in bytes, from /proc."""
        fields = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value, _unit = line.split()
                    fields[key.rstrip(":")] = int(value) * 1024
        return {"rss": fields["VmRSS"], "peak": fields["VmHWM"]}

    def cpu_seconds(self) -> float:
        """User + system CPU time the child has used so far (/proc/PID/stat)."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def wait_until_ready_async(self, url: str, *, timeout: float = READY_TIMEOUT_SEC) -> None:
        """`wait_until_ready` for async code: the same rule, and the event loop keeps running."""
        await until(lambda: asyncio.to_thread(self._answers, url), timeout=timeout,
                    what=f"{self.name} to answer 200 at {url}")

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go; always reaps, removes a temporary log directory; safe twice."""
        terminate(self.proc)
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None


class ServiceProcess(Process):
    """`babyshield-chat serve` on a free loopback port."""

    def __init__(self, env: Mapping[str, str], *, workers: int = 1, port: int | None = None,
                 log_dir: Path | None = None, separate_stderr: bool = False) -> None:
        self.port = port or free_port()
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if workers > 1:
            args += ["--workers", str(workers)]
        super().__init__(babyshield_chat_command(*args), env, name="service", log_dir=log_dir,
                         separate_stderr=separate_stderr)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = READY_TIMEOUT_SEC) -> None:
        self.wait_until_ready(f"{self.url}/readyz", timeout=timeout)

    async def wait_ready_async(self, timeout: float = READY_TIMEOUT_SEC) -> None:
        await self.wait_until_ready_async(f"{self.url}/readyz", timeout=timeout)


class FakeLlmProcess(Process):
    """`babyshield-chat fake-llm` on a free loopback port, starting in `mode`; `/control` switches faults."""

    def __init__(self, mode: Mapping[str, Any] | None = None, *, log_dir: Path | None = None,
                 separate_stderr: bool = False) -> None:
        self.port = free_port()
        args = ["fake-llm", "--port", str(self.port)]
        if mode:
            args += ["--mode", json.dumps(mode)]
        super().__init__(babyshield_chat_command(*args), {}, name="fake-llm", log_dir=log_dir,
                         separate_stderr=separate_stderr)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def llm_env(self) -> dict[str, str]:
        return {"BS_LLM_BASE_URL": self.base_url, "BS_LLM_API_KEY": "test-key"}

    def control(self, method: str = "GET", change: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(change).encode() if change is not None else None
        request = urllib.request.Request(f"{self.url}/control", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=2) as response:
            return json.loads(response.read())

    async def set_mode(self, **changes: Any) -> None:
        """`PUT /control` from async code."""
        async with aiohttp.ClientSession() as session, session.put(f"{self.url}/control", json=changes) as response:
            assert response.status == 200, await response.text()

    async def reset(self) -> None:
        """`DELETE /control` from async code: back to healthy."""
        async with aiohttp.ClientSession() as session, session.delete(f"{self.url}/control") as response:
            assert response.status == 200, await response.text()

    def wait_ready(self, timeout: float = READY_TIMEOUT_SEC) -> None:
        self.wait_until_ready(f"{self.url}/control", timeout=timeout)

    async def wait_ready_async(self, timeout: float = READY_TIMEOUT_SEC) -> None:
        await self.wait_until_ready_async(f"{self.url}/control", timeout=timeout)
