"""Starting and stopping what a scenario runs against, each in a process of its own.

Everything listens on 127.0.0.1 on a free port, writes its output to a log
file in the run's scratch directory, and is stopped (SIGTERM, then SIGKILL
after a bounded wait) when its context exits, whatever happened inside.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import aiohttp

from babyshield_chat.db.embedded import EmbeddedPostgres, free_port
from babyshield_chat.db.migrate import migrate_url
from babyshield_chat.recalls.importer import import_file

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0

#: The service's configuration in every scenario; a scenario adds its own on top.
SERVICE_ENV = {
    "BS_ENV": "development",
    "BS_AUTH_MODE": "dev",
    "BS_FEATURE_CHAT_ENABLED": "true",
    "BS_FEATURE_CHAT_ROLLOUT_PCT": "1.0",
    # The per-user rate limit is not under test; the load would trip it within a second.
    "BS_CHAT_USER_RATE_PER_MIN": "100000000",
    "BS_LOG_HASH_KEY": "bench-log-hash-key-0123456789",
}


def _clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without its BS_*/OTEL_* settings, plus `extra` and our PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "OTEL_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    env.update(extra)
    return env


class Scratch:
    """The run's scratch directory: logs and the throwaway PostgreSQL cluster."""

    def __init__(self, keep: bool = False) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="bs-bench-"))
        os.chmod(self.path, 0o755)  # the postgres user must traverse it when we run as root
        self.keep = keep

    def log(self, name: str) -> Path:
        return self.path / f"{name}.log"

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


@contextlib.contextmanager
def postgres(scratch: Scratch, data_dir: Path) -> Iterator[str]:
    """A throwaway cluster, migrated, with the recall files of `data_dir` imported (read in place)."""
    cluster = EmbeddedPostgres(scratch.path / "postgres", ephemeral=True)
    url = cluster.start()
    try:
        asyncio.run(_prepare(url, data_dir))
        yield url
    finally:
        cluster.stop()


async def _prepare(url: str, data_dir: Path) -> None:
    await migrate_url(url)
    files = sorted(p for p in data_dir.glob("*.json") if not p.name.endswith(".categories.json"))
    if not files:
        raise SystemExit(f"bench: no recall data in {data_dir} (use --data-dir)")
    for path in files:
        try:
            await import_file(url, path)
        except Exception as exc:  # a file in a shape the importer does not read: say so, go on
            print(f"bench: skipped {path.name}: {exc}", file=sys.stderr)


class Process:
    """A child process listening on `port`; `rss()` reads its memory from /proc."""

    def __init__(self, name: str, argv: list[str], port: int, env: Mapping[str, str], scratch: Scratch) -> None:
        self.name, self.port = name, port
        self._log_path = scratch.log(name)
        self._log = open(self._log_path, "ab")
        self.popen = subprocess.Popen(argv, env=_clean_env(env), stdout=self._log, stderr=subprocess.STDOUT,
                                      cwd=ROOT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_listening(self, path: str | None = None, log_line: bytes | None = None) -> None:
        """Until the port answers (and `path` says 200, and this process logged `log_line`).

        With SO_REUSEPORT a sibling may answer on the port, hence the log line:
        only this process writes its own log.
        """
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.popen.returncode}; see its log")
            logged = log_line is None or log_line in self._log_path.read_bytes()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                if logged and (path is None or asyncio.run(_get_ok(f"http://127.0.0.1:{self.port}{path}"))):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {START_TIMEOUT_S:.0f} s")

    def rss(self) -> dict[str, int]:
        """Current (VmRSS) and peak (VmHWM) resident memory in bytes."""
        fields = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value, _unit = line.split()
                    fields[key.rstrip(":")] = int(value) * 1024
        return {"rss": fields["VmRSS"], "peak": fields["VmHWM"]}

    def cpu_seconds(self) -> float:
        """User + system CPU time this process has used so far (/proc/PID/stat)."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(STOP_TIMEOUT_S)
        self._log.close()


async def _get_ok(url: str) -> bool:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            async with session.get(url) as response:
                return response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


@contextlib.contextmanager
def running(*processes: Process) -> Iterator[tuple[Process, ...]]:
    try:
        yield processes
    finally:
        for process in reversed(processes):
            process.stop()


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def stand_in(kind: str, scratch: Scratch) -> Process:
    """`bare`, `fake-llm` or `otlp-sink` from `bench.servers`, listening."""
    port = free_port()
    return listening(Process(kind, python("-m", "bench.servers", kind, "--port", str(port)), port, {}, scratch))


def listening(process: Process, path: str | None = None) -> Process:
    """`process` once it listens (and `path` answers 200); stopped if it never does."""
    try:
        process.wait_listening(path)
    except BaseException:
        process.stop()
        raise
    return process


def services(name: str, scratch: Scratch, env: Mapping[str, str], *, telemetry: str = "create",
             workers: int = 1) -> list[Process]:
    """`workers` service processes sharing one port (SO_REUSEPORT), ready (`/readyz` 200)."""
    port = free_port()
    argv = python("-m", "bench.service", "--port", str(port), "--telemetry", telemetry)
    if workers > 1:
        argv.append("--reuse-port")
    started: list[Process] = []
    try:
        for index in range(workers):
            process = Process(f"{name}-{index}", argv, port, {**SERVICE_ENV, **env}, scratch)
            started.append(process)
            process.wait_listening("/readyz", log_line=b'"listening"')
    except BaseException:
        for process in started:
            process.stop()
        raise
    return started
