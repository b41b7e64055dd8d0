"""The five measurements of spec section 9, each against processes it starts itself.

Every figure that has a target is a ratio or a latency taken within this run,
on this machine: throughputs are compared with a reference measured in the
same run, interleaved (A, B, A, B) so that a noisy neighbour hurts both sides.
Each function returns a `Result`: the figure, the target, pass/fail, and the
raw numbers behind them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import search as search_bench
from bench import stack, wrk

CHAT_PATH = "/api/v1/chat/conversation"
# A question the rules classify with confidence (recall_details), about a product
# whose UPC is in the CPSC data: the recall tool finds it by code.
CHAT_BODY = {
    "message": "Has this play yard been recalled?",
    "product": {"name": "breeze play yard sheet", "brand": "4moms", "upc": "817980011137", "category": "play yard"},
}
LOADGEN_TIMEOUT_PAD_SEC = 60


@dataclasses.dataclass
class Options:
    scratch: stack.Scratch
    database_url: str
    duration_sec: int = 6
    rounds: int = 2
    connections: int = 32
    concurrency: int = 2000
    workers: int = 1
    sustained_sec: int = 60


@dataclasses.dataclass
class Result:
    target: str
    figure: str
    goal: str
    passed: bool
    details: dict[str, Any]


def _body_file(options: Options, name: str, body: dict[str, Any]) -> Path:
    path = options.scratch.path / f"{name}.json"
    path.write_text(json.dumps(body))
    return path


def loadgen(*args: str, timeout_sec: float, module: str = "bench.loadgen") -> dict[str, Any]:
    """One `bench.loadgen` (or `module`: `bench.openloop`) run in its own process; its JSON result."""
    out = subprocess.run(stack.python("-m", module, *args), env=stack.child_env({}), cwd=stack.ROOT,
                         capture_output=True, text=True, timeout=timeout_sec + LOADGEN_TIMEOUT_PAD_SEC)
    if out.returncode != 0:
        raise RuntimeError(f"{module} failed: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout)


def _closed(url: str, body: Path | None, options: Options, user_prefix: str) -> dict[str, Any]:
    args = ["closed", "--url", url, "--connections", str(options.connections), "--duration", str(options.duration_sec),
            "--user-prefix", user_prefix]
    if body is not None:
        args += ["--body-file", str(body)]
    return loadgen(*args, timeout_sec=options.duration_sec + 2)


def _wrk(url: str, body: Path | None, options: Options, user_prefix: str) -> dict[str, Any]:
    return wrk.run(url, body=body.read_bytes() if body else None, user_prefix=user_prefix,
                   connections=options.connections, duration_sec=options.duration_sec)


Side = tuple[str, Path | None, str, stack.Process]


def _interleaved(options: Options, sides: dict[str, Side]) -> dict[str, dict[str, list]]:
    """Each side's runs with each tool, A B A B ...: {tool: {side: [run, ...]}}.

    Every run also records the server's CPU time per answered request
    (`cpu_us_per_request`): what each side costs, whoever else shares the machine.
    """
    tools = {"loadgen": _closed}
    if wrk.available():
        tools = {"wrk": _wrk, **tools}
    runs: dict[str, dict[str, list]] = {tool: {side: [] for side in sides} for tool in tools}
    for _ in range(options.rounds):
        for tool, drive in tools.items():
            for side, (url, body, users, server) in sides.items():
                cpu_before = server.cpu_seconds()
                run = drive(url, body, options, users)
                requests = run.get("requests") or 0
                if requests:
                    run["cpu_us_per_request"] = (server.cpu_seconds() - cpu_before) / requests * 1e6
                runs[tool][side].append(run)
    return runs


def _cpu_per_request(runs: dict[str, dict[str, list]], side: str) -> float | None:
    """Median server CPU per request of `side` over every run of every tool."""
    values = [r["cpu_us_per_request"] for tool in runs.values() for r in tool[side] if "cpu_us_per_request" in r]
    return statistics.median(values) if values else None


def _cpu_figure(runs: dict[str, dict[str, list]], sides: tuple[str, ...], unit: str = "µs") -> str:
    scale = 1000.0 if unit == "ms" else 1.0
    parts = []
    for side in sides:
        value = _cpu_per_request(runs, side)
        parts.append(f"{side} {value / scale:.{1 if unit == 'ms' else 0}f} {unit}" if value is not None else f"{side} ?")
    return "server CPU per request: " + ", ".join(parts)


def _ratio(runs: dict[str, list], numerator: str, denominator: str) -> float:
    return sum(r["rps"] for r in runs[numerator]) / sum(r["rps"] for r in runs[denominator])


def _mean_rps(runs: list[dict[str, Any]]) -> float:
    return statistics.fmean(r["rps"] for r in runs)


# --- 1. gate cost -----------------------------------------------------------


def gate_cost(options: Options) -> Result:
    """Blocked-path throughput (403 `chat_disabled`) vs the bare aiohttp JSON handler.

    Two more sides (not targets) say where the cost is: the same service with
    `Telemetry.disabled()`, and `floor`, the bare handler doing only the
    telemetry the contract asks of a blocked request (`bench.servers`).
    """
    body = _body_file(options, "chat", CHAT_BODY)
    # Chat on, rollout 0: every caller is hashed and excluded, the gate's usual "no".
    env = {"BS_FEATURE_CHAT_ROLLOUT_PCT": "0.0", "BS_METRICS_PROMETHEUS": "true"}
    bare = stack.stand_in("bare", options.scratch)
    floor = stack.stand_in("floor", options.scratch)
    servers = [bare, floor, *stack.services("gate", options.scratch, env),
               *stack.services("gate-no-telemetry", options.scratch, env, telemetry="disabled")]
    with stack.running(*servers) as (bare, floor, service, quiet):
        runs = _interleaved(options, {
            "bare": (f"http://127.0.0.1:{bare.port}{CHAT_PATH}", body, "user-", bare),
            "blocked": (f"http://127.0.0.1:{service.port}{CHAT_PATH}", body, "user-", service),
            "blocked without telemetry": (f"http://127.0.0.1:{quiet.port}{CHAT_PATH}", body, "user-", quiet),
            "contract floor": (f"http://127.0.0.1:{floor.port}{CHAT_PATH}", body, "user-", floor),
        })
    blocked_ok = all(r.get("statuses", {}).get("403", 1) > 0 for r in runs["loadgen"]["blocked"])
    ratios = {tool: _ratio(r, "blocked", "bare") for tool, r in runs.items()}
    primary = "wrk" if "wrk" in ratios else "loadgen"
    quiet_ratio = _ratio(runs[primary], "blocked without telemetry", "bare")
    floor_ratio = _ratio(runs[primary], "contract floor", "bare")
    sides = ("bare", "blocked", "blocked without telemetry", "contract floor")
    figure = (" / ".join(f"{ratios[t]:.0%} ({t})" for t in ratios)
              + f"; without telemetry {quiet_ratio:.0%}, contract floor {floor_ratio:.0%} ({primary}); "
              + _cpu_figure(runs, sides))
    return Result("gate cost", figure, "blocked ≥ 35% of bare", ratios[primary] >= 0.35 and blocked_ok,
                  {"ratios": ratios, "without_telemetry_ratio": quiet_ratio, "floor_ratio": floor_ratio,
                   "cpu_us_per_request": {side: _cpu_per_request(runs, side) for side in sides},
                   "rps": {t: {s: _mean_rps(v) for s, v in r.items()} for t, r in runs.items()}, "runs": runs})


# --- 2. telemetry cost ------------------------------------------------------

#: The head sampling docs/performance.md recommends for production (not the target's "on").
SAMPLED_TRACES = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}


def telemetry_cost(options: Options) -> Result:
    """Full pipeline (fake LLM, no added latency) with telemetry exported vs `Telemetry.disabled()`.

    Two targets against "off": traces sampled at 10% (`SAMPLED_TRACES`, the
    production advice), and "on", every span, metric and log line exported.
    """
    body = _body_file(options, "chat", CHAT_BODY)
    fake = stack.stand_in("fake-llm", options.scratch)
    sink = stack.stand_in("otlp-sink", options.scratch)
    with stack.running(fake, sink):
        llm = {"BS_LLM_BASE_URL": f"http://127.0.0.1:{fake.port}/v1", "BS_LLM_API_KEY": "bench"}
        telemetry_on = {**llm, "BS_METRICS_PROMETHEUS": "true",
                        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.port}"}
        on = stack.services("telemetry-on", options.scratch, telemetry_on)
        sampled = stack.services("telemetry-sampled", options.scratch, {**telemetry_on, **SAMPLED_TRACES})
        off = stack.services("telemetry-off", options.scratch, llm, telemetry="disabled")
        with stack.running(*on, *sampled, *off):
            runs = _interleaved(options, {
                "on": (f"http://127.0.0.1:{on[0].port}{CHAT_PATH}", body, "user-", on[0]),
                "traces sampled 10%": (f"http://127.0.0.1:{sampled[0].port}{CHAT_PATH}", body, "user-", sampled[0]),
                "off": (f"http://127.0.0.1:{off[0].port}{CHAT_PATH}", body, "user-", off[0]),
            })
        floor = _telemetry_floor(f"http://127.0.0.1:{sink.port}")
    ratios = {tool: _ratio(r, "on", "off") for tool, r in runs.items()}
    primary = "wrk" if "wrk" in ratios else "loadgen"
    sampled_ratio = _ratio(runs[primary], "traces sampled 10%", "off")
    non_2xx = sum(r.get("non_2xx", 0) for side in runs.get("wrk", {}).values() for r in side)
    sides = ("on", "traces sampled 10%", "off")
    off_cpu = _cpu_per_request(runs, "off")
    floor_us = floor["cpu_us_per_request"]
    best_ratio = off_cpu / (off_cpu + floor_us) if off_cpu else None
    figure = (f"traces sampled 10%: {sampled_ratio:.0%} ({primary}); every span exported: "
              + " / ".join(f"{ratios[t]:.0%} ({t})" for t in ratios) + "; " + _cpu_figure(runs, sides, "ms")
              + f"; one request's telemetry alone (bench.floor): {floor_us / 1000:.2f} ms"
              + f" ({floor['cpu_us_per_request_without_trace_export'] / 1000:.2f} ms without trace export)"
              + (f", so at most {best_ratio:.0%} at this pipeline cost" if best_ratio else ""))
    passed = sampled_ratio >= 0.90 and ratios[primary] >= 0.80 and non_2xx == 0
    return Result("telemetry cost", figure, "10% sampling ≥ 90% of off; every span exported ≥ 80%", passed,
                  {"ratios": ratios, "sampled_ratio": sampled_ratio, "floor": floor, "best_possible_ratio": best_ratio,
                   "cpu_us_per_request": {side: _cpu_per_request(runs, side) for side in sides},
                   "rps": {t: {s: _mean_rps(v) for s, v in r.items()} for t, r in runs.items()},
                   "non_2xx": non_2xx, "runs": runs})


def _telemetry_floor(otlp_endpoint: str) -> dict[str, float]:
    """`bench.floor` in its own process: one request's telemetry, emitted alone."""
    out = subprocess.run(stack.python("-m", "bench.floor", "--otlp-endpoint", otlp_endpoint),
                         env=stack.child_env({}), cwd=stack.ROOT, capture_output=True, text=True,
                         timeout=LOADGEN_TIMEOUT_PAD_SEC * 2)
    if out.returncode != 0:
        raise RuntimeError(f"bench.floor failed: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout)


# --- 3. concurrency ---------------------------------------------------------


async def _put(url: str, body: dict[str, Any]) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        async with session.put(url, json=body) as response:
            response.raise_for_status()


def set_fake(fake: stack.Process, **mode: Any) -> None:
    asyncio.run(_put(f"http://127.0.0.1:{fake.port}/control", mode))


def concurrency(options: Options) -> Result:
    """A burst of N conversations at once against an LLM answering in 1.0 s, the service as `serve` runs it.

    The service keeps its own limits (`BS_MAX_INFLIGHT` 512): what it cannot
    take must be refused at once with 503 `overloaded`, every other request
    answered 200, and the process must still be there afterwards. "At once"
    is taken as: every 503 came back before the LLM could have answered
    anyone (1.0 s), so no refused request waited on the work in flight.
    Memory per in-flight request is the peak's growth over the requests
    admitted.
    """
    body = _body_file(options, "chat", CHAT_BODY)
    n = options.concurrency
    llm_sec = 1.0
    fake = stack.stand_in("fake-llm", options.scratch)
    with stack.running(fake):
        set_fake(fake, latency={"distribution": "fixed", "ms": llm_sec * 1000})
        env = {"BS_LLM_BASE_URL": f"http://127.0.0.1:{fake.port}/v1", "BS_LLM_API_KEY": "bench",
               "BS_METRICS_PROMETHEUS": "true"}
        workers = stack.services("concurrency", options.scratch, env, workers=options.workers)
        with stack.running(*workers):
            url = f"http://127.0.0.1:{workers[0].port}{CHAT_PATH}"
            # Warm every lazy import and pool connection before the baseline is read.
            loadgen("burst", "--url", url, "--body-file", str(body), "--requests", "50", "--user-prefix", "warm-",
                    timeout_sec=30)
            before = [w.memory()["rss"] for w in workers]
            burst = loadgen("burst", "--url", url, "--body-file", str(body), "--requests", str(n),
                            "--user-prefix", "parent-", "--users", str(n), timeout_sec=60)
            peaks = [w.memory()["peak"] for w in workers]
            alive = all(w.proc.poll() is None for w in workers)
    statuses = burst["statuses"]
    admitted, shed = statuses.get("200", 0), statuses.get("503", 0)
    overloaded = burst["error_codes"].get("overloaded", 0)
    shed_max = burst["latency_by_status"].get("503", {}).get("max_sec")
    answered = admitted + shed == n and overloaded == shed
    at_once = shed_max is None or shed_max < llm_sec
    per_request = (sum(peaks) - sum(before)) / max(admitted, 1)
    admitted_lat = burst["latency_by_status"].get("200", {})
    figure = (f"{admitted}/{n} answered 200 ({burst['synthesizers'].get('llm', 0)} by the LLM), {shed} refused 503"
              + (f" ({overloaded} overloaded)" if shed else "")
              + (f", {n - admitted - shed} other: {statuses}" if admitted + shed != n else "")
              + (f"; 503s within {shed_max:.2f} s" if shed_max is not None else "")
              + (f"; 200s p50 {admitted_lat['p50_sec']:.2f} s, p99 {admitted_lat['p99_sec']:.2f} s" if admitted else "")
              + f"; {'still running' if alive else 'CRASHED'}; peak RSS {sum(peaks) / 2**20:.0f} MiB, "
              f"{per_request / 1024:.0f} KiB per in-flight request")
    return Result("burst", figure, "each 200, or 503 overloaded at once; no crash",
                  answered and at_once and alive,
                  {"burst": burst, "rss_before": before, "rss_peak": peaks, "bytes_per_request": per_request,
                   "workers": options.workers, "alive": alive})


# --- 4. deadline ------------------------------------------------------------


def deadline(options: Options, connections: int = 50, duration_sec: float = 8.0) -> Result:
    """LLM hanging forever: every answer a fallback, none later than the total budget + 100 ms.

    `connections` requests are kept in flight for `duration_sec` (three waves of
    2.5 s answers): a steady load the instance can carry, so that what is
    measured is the deadline, not a queue in front of it (`concurrency` is the
    overload case).
    """
    body = _body_file(options, "chat", CHAT_BODY)
    budget_sec = 2.5
    fake = stack.stand_in("fake-llm", options.scratch)
    with stack.running(fake):
        set_fake(fake, fault="hang")
        # A breaker that never opens: every request waits on the hanging LLM, the worst case.
        env = {"BS_LLM_BASE_URL": f"http://127.0.0.1:{fake.port}/v1", "BS_LLM_API_KEY": "bench",
               "BS_METRICS_PROMETHEUS": "true", "BS_CHAT_TOTAL_BUDGET_SEC": str(budget_sec),
               "BS_BREAKER_FAIL_MAX": "1000000"}
        with stack.running(*stack.services("deadline", options.scratch, env)) as (service,):
            url = f"http://127.0.0.1:{service.port}{CHAT_PATH}"
            run = loadgen("closed", "--url", url, "--body-file", str(body), "--connections", str(connections),
                          "--duration", str(duration_sec), "--warmup", "0", "--inspect", "--user-prefix", "parent-",
                          timeout_sec=duration_sec + 10)
    answered = run["requests"]
    fallbacks = run["synthesizers"].get("fallback", 0)
    limit = budget_sec + 0.1
    figure = (f"{fallbacks}/{answered} fallbacks ({connections} in flight); max {run['max_sec']:.3f} s, "
              f"p50 {run['p50_sec']:.3f} s")
    return Result("deadline", figure, f"100% fallbacks, max ≤ {limit:.1f} s",
                  answered > 0 and fallbacks == answered and run["max_sec"] <= limit, {"run": run})


# --- 5. breaker -------------------------------------------------------------


def breaker(options: Options, reset_sec: float = 5.0) -> Result:
    """LLM failing 100%: fallback p50 once open; time to close after the LLM heals."""
    body = _body_file(options, "chat", CHAT_BODY)
    fake = stack.stand_in("fake-llm", options.scratch)
    with stack.running(fake):
        set_fake(fake, fault="server_error")
        env = {"BS_LLM_BASE_URL": f"http://127.0.0.1:{fake.port}/v1", "BS_LLM_API_KEY": "bench",
               "BS_METRICS_PROMETHEUS": "true", "BS_BREAKER_RESET_SEC": str(reset_sec)}
        with stack.running(*stack.services("breaker", options.scratch, env)) as (service,):
            url = f"http://127.0.0.1:{service.port}{CHAT_PATH}"
            common = ["--url", url, "--body-file", str(body), "--user-prefix", "parent-", "--interval", "0.02"]
            failing = loadgen("probe", *common, "--count", "60", timeout_sec=60)["results"]
            set_fake(fake, fault="none")
            healed_at = time.time()
            count = str(int((reset_sec + 5) / 0.02))
            healing = loadgen("probe", *common, "--count", count, "--until-synthesizer", "llm",
                              timeout_sec=reset_sec + 30)["results"]
    open_results = [r for r in failing if r.get("fallback_reason") == "circuit_open"]
    open_p50 = statistics.median(r["latency_sec"] for r in open_results) if open_results else float("inf")
    opened_at = open_results[0]["at"] if open_results else None
    closed = [r for r in healing if r.get("synthesizer") == "llm"]
    closed_at = closed[0]["at"] + closed[0]["latency_sec"] if closed else None
    to_close = closed_at - healed_at if closed_at else float("inf")
    limit = reset_sec + 1.0
    figure = (f"open after {len(failing) - len(open_results)} failed request(s); fallback p50 {open_p50 * 1000:.1f} ms "
              f"({len(open_results)} requests); closed {to_close:.2f} s after healing (reset {reset_sec:.0f} s)")
    return Result("breaker", figure, "p50 ≤ 20 ms; closes ≤ reset + 1 s",
                  open_p50 <= 0.020 and to_close <= limit,
                  {"open_p50_sec": open_p50, "close_after_heal_sec": to_close,
                   "close_after_open_sec": (closed_at - opened_at) if closed_at and opened_at else None,
                   "reset_sec": reset_sec, "failing": failing, "healing": healing})


# --- not a target: how throughput scales with processes ----------------------


def scaling(options: Options, max_workers: int = 2) -> Result:
    """Full-pipeline throughput with 1..max_workers processes on one port (SO_REUSEPORT).

    `serve --workers N` is not on this branch yet; N single-worker processes
    sharing the port with SO_REUSEPORT are what it will start.
    """
    body = _body_file(options, "chat", CHAT_BODY)
    fake = stack.stand_in("fake-llm", options.scratch)
    rps: dict[int, float] = {}
    with stack.running(fake):
        env = {"BS_LLM_BASE_URL": f"http://127.0.0.1:{fake.port}/v1", "BS_LLM_API_KEY": "bench",
               "BS_METRICS_PROMETHEUS": "true"}
        for workers in range(1, max_workers + 1):
            with stack.running(*stack.services(f"scaling-{workers}", options.scratch, env, workers=workers)) as procs:
                url = f"http://127.0.0.1:{procs[0].port}{CHAT_PATH}"
                drive = _wrk if wrk.available() else _closed
                rps[workers] = statistics.fmean(drive(url, body, options, "user-")["rps"] for _ in range(options.rounds))
    figure = ", ".join(f"{n} worker{'s' if n > 1 else ''}: {r:.0f} req/s ({r / rps[1]:.2f}x)" for n, r in rps.items())
    return Result("workers scaling", figure, "(informational)", True, {"rps": rps})


def search(options: Options) -> Result:
    """Recall search p50/p95 on the whole imported corpus (`bench/search.py`)."""
    run = asyncio.run(search_bench.measure(options.database_url))
    goal = f"p95 ≤ {search_bench.TARGET_P95_SEC * 1000:.0f} ms"
    return Result("recall search", search_bench.figure(run), goal, run["p95_sec"] <= search_bench.TARGET_P95_SEC, run)


SCENARIOS = {"gate": gate_cost, "telemetry": telemetry_cost, "concurrency": concurrency, "deadline": deadline,
             "breaker": breaker, "scaling": scaling, "search": search}
