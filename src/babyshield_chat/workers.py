"""`babyshield-chat serve --workers N`: one parent, N worker processes on one port.

The parent does what must happen once per machine — start the embedded
PostgreSQL when there is no `BS_DATABASE_URL`, run the migrations (both in
`cli`) — then runs N copies of `serve --worker`, each binding the same port
with SO_REUSEPORT so the kernel spreads connections between them.

The parent serves no requests. It forwards SIGTERM and SIGINT to every
worker (each drains as a single-process `serve` does) and exits 0 when all
of them exited 0. A worker that dies while the parent is not stopping (a
crash, an OOM kill, `kill -9`) is replaced at once; a worker that keeps
dying right after start (a port taken by another program, a broken
configuration) makes the parent give up with status 1 instead of
restarting it forever.

Telemetry stays per worker: each has its own `/metrics` registry (a scrape of
the shared port reaches whichever worker accepts it) and its own OTLP
resource with a `service.instance.id` of its own, so collector-side sums add
up. README's "Several workers" says which to use.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence

from babyshield_chat.config import child_environment
from babyshield_chat.telemetry.logging import EventLog

log = EventLog("babyshield_chat.workers")

POLL_SEC = 0.1
# A worker that dies sooner than this after starting counts towards a crash loop.
EARLY_DEATH_SEC = 5.0
MAX_EARLY_DEATHS = 5
# After the grace period the workers had to drain, how long to wait before SIGKILL.
KILL_MARGIN_SEC = 5.0


def worker_command(host: str, port: int) -> list[str]:
    """The command line of one worker: `serve --worker` of this same interpreter and package."""
    return [sys.executable, "-m", "babyshield_chat", "serve", "--host", host, "--port", str(port), "--worker"]


class Supervisor:
    """Starts `count` workers, replaces dead ones, forwards stop signals."""

    def __init__(self, command: Sequence[str], count: int, *, env: Mapping[str, str], grace_sec: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count!r}")
        self._command = list(command)
        self._count = count
        self._env = dict(env)
        self._grace_sec = grace_sec
        self._clock = clock
        self._workers: list[tuple[subprocess.Popen[bytes], float]] = []
        self._stop_signal: int | None = None
        self._early_deaths = 0

    def run(self) -> int:
        """Supervise until a stop signal (exit 0 when every worker drained cleanly) or a crash loop (1)."""
        previous = {signum: signal.signal(signum, self._on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            for _ in range(self._count):
                self._workers.append(self._spawn())
            while self._stop_signal is None:
                if not self._replace_dead():
                    self._stop_signal = signal.SIGTERM
                    self._forward(signal.SIGTERM)
                    self._stop()
                    return 1
                time.sleep(POLL_SEC)
            return self._stop()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._stop_signal is None:
            self._stop_signal = signum
        self._forward(signum)

    def _forward(self, signum: int) -> None:
        for proc, _ in self._workers:
            if proc.poll() is None:
                proc.send_signal(signum)

    def _spawn(self) -> tuple[subprocess.Popen[bytes], float]:
        # stdout and stderr are inherited: the workers' JSON lines go where the parent's go.
        proc = subprocess.Popen(self._command, env=self._env)
        log.info("worker_started", pid=proc.pid)
        return proc, self._clock()

    def _replace_dead(self) -> bool:
        """Restart every worker that exited; False when they die too fast to be worth restarting."""
        for index, (proc, started) in enumerate(self._workers):
            status = proc.poll()
            if status is None or self._stop_signal is not None:
                continue
            lived = self._clock() - started
            log.warning("worker_exited", pid=proc.pid, status=status, lived_sec=round(lived, 3))
            self._early_deaths = self._early_deaths + 1 if lived < EARLY_DEATH_SEC else 0
            if self._early_deaths >= MAX_EARLY_DEATHS:
                log.error("worker_crash_loop", deaths=self._early_deaths)
                return False
            self._workers[index] = self._spawn()
        return True

    def _stop(self) -> int:
        """Wait for the workers to drain (their grace plus a margin), then kill what is left."""
        # Again, for a worker spawned while the signal handler ran: a second SIGTERM is harmless.
        self._forward(self._stop_signal or signal.SIGTERM)
        deadline = self._clock() + self._grace_sec + KILL_MARGIN_SEC
        statuses = []
        for proc, _ in self._workers:
            try:
                statuses.append(proc.wait(timeout=max(0.0, deadline - self._clock())))
            except subprocess.TimeoutExpired:
                log.error("worker_killed", pid=proc.pid)
                proc.kill()
                statuses.append(proc.wait())
        # A worker the signal reached before it installed its own handler had nothing in flight.
        clean = (0, -(self._stop_signal or signal.SIGTERM))
        return 0 if all(status in clean for status in statuses) else 1


def worker_env(database_url: str) -> dict[str, str]:
    """The workers' environment: the parent's, with the database the parent prepared."""
    return child_environment({"BS_DATABASE_URL": database_url})
