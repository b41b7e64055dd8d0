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
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from babyshield_chat.db.embedded import EmbeddedPostgres, free_port
from babyshield_chat.devtools import processes as harness
from babyshield_chat.recalls.importer import import_file
from babyshield_chat.recalls.reindex import prepare_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
START_TIMEOUT_SEC = 30.0

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


# The package and the bench's own modules (`python -m bench.servers`).
_PYTHONPATH = os.pathsep.join([str(ROOT / "src"), str(ROOT)])


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without its BS_*/OTEL_* settings, plus `extra` and our PYTHONPATH."""
    return harness.child_env({"PYTHONPATH": _PYTHONPATH, **extra}, unbuffered=False)


class Scratch:
    """The run's scratch directory: logs and the throwaway PostgreSQL cluster."""

    def __init__(self, keep: bool = False) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="bs-bench-"))
        os.chmod(self.path, 0o755)  # the postgres user must traverse it when we run as root
        self.keep = keep

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


def cluster(scratch: Scratch) -> EmbeddedPostgres:
    """The run's throwaway PostgreSQL cluster (`postgres` starts it; `freeze` finds its processes)."""
    return EmbeddedPostgres(scratch.path / "postgres", ephemeral=True)


@contextlib.contextmanager
def postgres(scratch: Scratch, data_dir: Path) -> Iterator[str]:
    """A throwaway cluster, migrated, with the recall files of `data_dir` imported (read in place)."""
    database = cluster(scratch)
    url = database.start()
    try:
        asyncio.run(_prepare(url, data_dir))
        yield url
    finally:
        database.stop()


async def _prepare(url: str, data_dir: Path) -> None:
    await prepare_database(url)
    files = sorted(p for p in data_dir.glob("*.json") if not p.name.endswith(".categories.json"))
    if not files:
        raise SystemExit(f"bench: no recall data in {data_dir} (use --data-dir)")
    for path in files:
        try:
            await import_file(url, path)
        except Exception as exc:  # a file in a shape the importer does not read: say so, go on
            print(f"bench: skipped {path.name}: {exc}", file=sys.stderr)


class Process(harness.Process):
    """A child listening on `port`, started through the project's one child-process harness."""

    def __init__(self, name: str, argv: list[str], port: int, env: Mapping[str, str], scratch: Scratch) -> None:
        self.port = port
        # Buffered output, as in production: an unbuffered log line per request would cost a write each.
        super().__init__(argv, {"PYTHONPATH": _PYTHONPATH, **env}, name=name, log_dir=scratch.path, new_session=True,
                         unbuffered=False)

    def wait_listening(self, path: str | None = None, log_line: str | None = None) -> None:
        """Until the port accepts (or `path` answers 200 and this process logged `log_line`)."""
        if path is None:
            self.wait_until_listening(self.port, timeout=START_TIMEOUT_SEC)
        else:
            self.wait_until_ready(f"http://127.0.0.1:{self.port}{path}", timeout=START_TIMEOUT_SEC, log_line=log_line)

    def waiting_seconds(self) -> float:
        """Seconds its main thread (a server's event loop) has spent runnable but waiting for a CPU.

        The kernel's run-queue delay (/proc/PID/schedstat, second field): on
        a shared machine, how much of a slow tail was the process waiting for
        a core rather than working.
        """
        with open(f"/proc/{self.pid}/schedstat") as schedstat:
            return int(schedstat.read().split()[1]) / 1e9


def command(name: str, argv: list[str], scratch: Scratch) -> harness.Process:
    """A child that listens on nothing (a load generator), started now; its stdout and stderr apart in scratch."""
    return harness.Process(argv, {"PYTHONPATH": _PYTHONPATH}, name=name, log_dir=scratch.path, separate_stderr=True,
                           new_session=True)


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
            process.wait_listening("/readyz", log_line='"listening"')
    except BaseException:
        for process in started:
            process.stop()
        raise
    return started
