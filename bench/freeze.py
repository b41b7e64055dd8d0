"""Deadline with PostgreSQL frozen (spec section 9): SIGSTOP mid-traffic, then SIGCONT.

The LLM answers at once; `bench.openloop` sends conversations at a steady
`RATE` (well within what one process carries, so that what is measured is the
deadline, not a queue) for `DURATION_SEC`. After `FREEZE_AT_SEC` every process of
the benchmark's PostgreSQL cluster (the postmaster and each backend, so the
connections the service already holds freeze too) is stopped with SIGSTOP;
`FREEZE_SEC` later they get SIGCONT. Whatever happens, the cluster is thawed
before this scenario returns.

Target: every request answered (200) within the total budget + 100 ms,
before, during and after the freeze. The figure also says how the requests
that arrived while the database was frozen were answered, and how long after
the thaw the first LLM-written answer to a new request came.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babyshield_chat.devtools import processes as harness
from babyshield_chat.devtools.polling import wait_for

from bench import stack
from bench.scenarios import CHAT_BODY, CHAT_PATH, LOADGEN_TIMEOUT_PAD_SEC, Options, Result, _body_file

BUDGET_SEC = 2.5
RATE = 100.0
DURATION_SEC = 12.0
FREEZE_AT_SEC = 3.0
FREEZE_SEC = 5.0


def cluster_pids(scratch: stack.Scratch) -> list[int]:
    """The postmaster of the benchmark's cluster (`stack.postgres`) and every process it started."""
    postmaster = int(stack.cluster(scratch).pid_file.read_text().split("\n", 1)[0])
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # Field 4 of /proc/PID/stat, after the parenthesised command name, is the parent's pid.
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(entry.name))
    return [postmaster, *children]


def cluster_cpu_seconds(scratch: stack.Scratch) -> float:
    """User + system CPU time used so far by the cluster's live processes."""
    total = 0.0
    for pid in cluster_pids(scratch):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@contextlib.contextmanager
def frozen(pids: list[int]) -> Iterator[None]:
    """SIGSTOP every pid (the postmaster first: it forks no new backend meanwhile), SIGCONT on exit."""
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        yield
    finally:
        for pid in reversed(pids):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def freeze(options: Options) -> Result:
    body = _body_file(options, "chat", CHAT_BODY)
    fake = stack.stand_in("fake-llm", options.scratch)
    with stack.running(fake):
        env = {"BS_LLM_BASE_URL": f"http://127.0.0.1:{fake.port}/v1", "BS_LLM_API_KEY": "bench",
               "BS_METRICS_PROMETHEUS": "true", "BS_CHAT_TOTAL_BUDGET_SEC": str(BUDGET_SEC)}
        with stack.running(*stack.services("freeze", options.scratch, env)) as (service,):
            url = f"http://127.0.0.1:{service.port}{CHAT_PATH}"
            args = ["--url", url, "--body-file", str(body), "--user-prefix", "parent-", "--rate", str(RATE),
                    "--duration", str(DURATION_SEC), "--warm-connections", "64", "--records"]
            run, window = _run_with_freeze(options, args)
    return _result(run, window)


def _run_with_freeze(options: Options, args: list[str]) -> tuple[dict[str, Any], tuple[float, float]]:
    """The open-loop run, with the cluster frozen from FREEZE_AT_SEC for FREEZE_SEC; (result, (stopped, thawed))."""
    generator = stack.command("freeze-openloop", stack.python("-m", "bench.openloop", *args), options.scratch)
    try:
        # The generator opens its connections first, then says "started": the schedule starts then.
        wait_for(lambda: _started(generator), timeout=LOADGEN_TIMEOUT_PAD_SEC, what="bench.openloop to start")
        time.sleep(FREEZE_AT_SEC)
        pids = cluster_pids(options.scratch)
        with frozen(pids):
            stopped = time.time()
            time.sleep(FREEZE_SEC)
        thawed = time.time()
        status = generator.wait(timeout=DURATION_SEC + LOADGEN_TIMEOUT_PAD_SEC)
    finally:
        generator.stop()
    if status != 0:
        raise RuntimeError(f"openloop failed: {generator.describe_exit()}")
    return json.loads(generator.output()), (stopped, thawed)


def _started(generator: harness.Process) -> bool:
    assert generator.proc.poll() is None, generator.describe_exit()
    return "started" in generator.stderr_path.read_text()


def _result(run: dict[str, Any], window: tuple[float, float]) -> Result:
    stopped, thawed = (t - run["started_at"] for t in window)
    records = run["records"]
    during = [r for r in records if stopped <= r["offset_sec"] < thawed]
    limit = BUDGET_SEC + 0.1
    answered = [r for r in records if r["status"] == 200]
    late = [r for r in records if r["latency_sec"] > limit]
    late_around_freeze = sum(1 for r in late if stopped - BUDGET_SEC <= r["offset_sec"] < thawed)
    worst = max(r["latency_sec"] for r in records)
    after_max = max((r["latency_sec"] for r in records if r["offset_sec"] >= thawed), default=0.0)
    during_fallbacks = sum(1 for r in during if r.get("synthesizer") == "fallback")
    during_max = max((r["latency_sec"] for r in during), default=0.0)
    figure = (f"{len(answered)}/{len(records)} answered 200 ({RATE:.0f} req/s open loop, LLM at once); "
              f"PostgreSQL frozen {thawed - stopped:.1f} s from t={stopped:.1f} s: {len(during)} requests arrived, "
              f"{during_fallbacks} fallbacks, max {during_max:.3f} s; {len(late)} answers later than {limit:.1f} s "
              f"({late_around_freeze} of them sent while frozen or up to one budget before); max {worst:.3f} s, "
              f"p99 {run['p99_sec']:.3f} s; sent after SIGCONT: max {after_max:.3f} s"
              + (f"; statuses {run['statuses']}" if len(answered) != len(records) else ""))
    passed = len(answered) == len(records) and not late
    return Result("deadline, PostgreSQL frozen", figure, f"100% answered, max ≤ {limit:.1f} s", passed,
                  {"run": {k: v for k, v in run.items() if k != "records"}, "frozen_from_sec": stopped,
                   "thawed_at_sec": thawed, "late": late, "during": during})
