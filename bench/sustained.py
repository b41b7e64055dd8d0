"""Sustained load (spec section 9): open-loop arrivals at 60% of the measured maximum, LLM at 1.0 s.

First the service's maximum throughput is measured in this run, closed loop
(`wrk`, or `bench.loadgen` without it, `--connections`), with the fake LLM
answering at once: what the process can do when its CPU is the limit. Then the
fake answers in 1.0 s and `bench.openloop` sends Poisson arrivals at 60% of
that rate for `--sustained-duration` seconds (60), each on schedule whatever
the answers do, with enough connections opened beforehand for the requests
in flight (rate × 1.0 s, and half as many again).

Targets: no 5xx (and no request without an answer), p99 ≤ 1.15 s, counted from
each request's scheduled time. The generator's send lag and CPU are part of
the figure: if it fell behind, the run says so and does not pass.

Then the floor: the same open loop (same rate, duration and seed) against the
bare forwarder of the peer scenario, posting the very chat completion the
service sends to the same fake LLM at 1.0 s. It does nothing but forward, so
its p99 is what the machine (generator, fake, scheduler, neighbours) adds to
the LLM's second with no pipeline at all: when it is above 1.15 s too, the
target cannot be told from the machine's floor in that run.

Whether the service got a core when it needed one: the kernel's count of the
time its event-loop thread spent runnable but waiting for a CPU
(`/proc/PID/schedstat`, second field), as a share of the open loop's time.
The pipeline's own CPU per request and that wait say whether a slow tail is
the service's work or the cores it shares with the generator, the fake,
PostgreSQL and the neighbours.
"""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

from bench import stack, wrk
from bench.peers import llm_request_of_pipeline, start_server
from bench.scenarios import CHAT_BODY, CHAT_PATH, Options, Result, _body_file, _closed, loadgen, set_fake

LOAD_SHARE = 0.60
LLM_SEC = 1.0
MAX_P99_SEC = 1.15
#: Beyond this send lag (p99) the generator, not the service, shaped the run.
MAX_SEND_LAG_SEC = 0.025
WARM_UP_SEC = 2


def maximum_throughput(url: str, options: Options, service: stack.Process) -> tuple[float, float]:
    """Closed-loop throughput, mean over `options.rounds` runs (wrk when installed) after a warm-up run,
    and the service's CPU seconds per request in those runs."""
    body = _body_file(options, "chat", CHAT_BODY)
    if wrk.available():
        def drive(duration_sec: int) -> dict[str, Any]:
            return wrk.run(url, body=body.read_bytes(), user_prefix="user-", connections=options.connections,
                           duration_sec=duration_sec)
    else:
        def drive(duration_sec: int) -> dict[str, Any]:
            return _closed(url, body, dataclasses.replace(options, duration_sec=duration_sec), "user-")
    drive(WARM_UP_SEC)  # lazy imports, pool connections, the first recall look-ups
    cpu = service.cpu_seconds()
    runs = [drive(options.duration_sec) for _ in range(options.rounds)]
    requests = sum(run["requests"] or 0 for run in runs)
    return statistics.fmean(run["rps"] for run in runs), (service.cpu_seconds() - cpu) / max(requests, 1)


def open_loop(url: str, body_file: str, rate: float, options: Options) -> dict[str, Any]:
    """`bench.openloop` at `rate` for `--sustained-duration` seconds, connections opened beforehand."""
    return loadgen("--url", url, "--body-file", body_file, "--user-prefix", "parent-", "--rate", f"{rate:.1f}",
                   "--duration", str(options.sustained_sec), "--warm-connections", str(int(rate * LLM_SEC * 1.5)),
                   timeout_sec=options.sustained_sec, module="bench.openloop")


def sustained(options: Options) -> Result:
    body = _body_file(options, "chat", CHAT_BODY)
    # The peer scenario's fake: the project's fake LLM that also gives back the last request it got.
    fake = start_server("fake-llm", options.scratch)
    with stack.running(fake):
        env = {"BS_LLM_BASE_URL": f"http://127.0.0.1:{fake.port}/v1", "BS_LLM_API_KEY": "bench",
               "BS_METRICS_PROMETHEUS": "true"}
        with stack.running(*stack.services("sustained", options.scratch, env)) as (service,):
            url = f"http://127.0.0.1:{service.port}{CHAT_PATH}"
            maximum, closed_cpu_sec = maximum_throughput(url, options, service)
            rate = LOAD_SHARE * maximum
            completion = _body_file(options, "sustained-completion", llm_request_of_pipeline(service, fake, options))
            set_fake(fake, latency={"distribution": "fixed", "ms": LLM_SEC * 1000})
            cpu, fake_cpu, delay = service.cpu_seconds(), fake.cpu_seconds(), service.waiting_seconds()
            run = open_loop(url, str(body), rate, options)
            service_cpu_share = (service.cpu_seconds() - cpu) / run["elapsed_sec"]
            waiting_share = (service.waiting_seconds() - delay) / run["elapsed_sec"]
            fake_cpu_share = (fake.cpu_seconds() - fake_cpu) / run["elapsed_sec"]
        forwarder = start_server("forwarder", options.scratch, "--upstream", f"http://127.0.0.1:{fake.port}")
        with stack.running(forwarder):
            floor = open_loop(f"http://127.0.0.1:{forwarder.port}{CHAT_PATH}", str(completion), rate, options)
    statuses = run["statuses"]
    server_errors = sum(count for status, count in statuses.items() if status.startswith("5"))
    unanswered = statuses.get("0", 0)
    lag = run["send_lag"]
    # What a request costs with `rate` × 1 s of them in flight, against the closed loop's 32.
    open_cpu_sec = service_cpu_share * run["elapsed_sec"] / max(run["sent"], 1)
    fallbacks = {reason: n for reason, n in run["fallback_reasons"].items() if reason != "None"}
    kept_up = lag["p99_sec"] is not None and lag["p99_sec"] <= MAX_SEND_LAG_SEC
    figure = (f"max {maximum:.0f} req/s (LLM at once) → {rate:.0f} req/s open loop for {options.sustained_sec} s, "
              f"LLM at {LLM_SEC:.1f} s: {run['sent']} sent, statuses {_counts(statuses)}"
              + (f", {unanswered} unanswered ({_counts(run['errors'])})" if unanswered else "")
              + f", {run['synthesizers'].get('llm', 0)} written by the LLM"
              + (f" (fallbacks: {_counts(fallbacks)})" if fallbacks else "")
              + f"; p50 {run['p50_sec']:.3f} s, "
              f"p99 {run['p99_sec']:.3f} s, max {run['max_sec']:.3f} s; service CPU {service_cpu_share:.0%} of a core, "
              f"waiting for a core {waiting_share:.0%} of the time, "
              f"{open_cpu_sec * 1000:.2f} ms CPU/request (closed loop: {closed_cpu_sec * 1000:.2f} ms), "
              f"fake LLM's {fake_cpu_share:.0%}; "
              + (f"generator send lag p50 {lag['p50_sec'] * 1000:.1f} ms, p99 {lag['p99_sec'] * 1000:.1f} ms, "
                 f"max {lag['max_sec'] * 1000:.1f} ms" if lag["p99_sec"] is not None else "no request left the generator")
              + f", its CPU {run['generator_cpu_share']:.0%} of a core"
              + ("" if kept_up else " (the generator fell behind: this run does not count)")
              + f". Floor, the bare forwarder at the same rate to the same fake: {_counts(floor['statuses'])}, "
              f"p50 {floor['p50_sec']:.3f} s, p99 {floor['p99_sec']:.3f} s, max {floor['max_sec']:.3f} s")
    passed = server_errors == 0 and unanswered == 0 and run["p99_sec"] <= MAX_P99_SEC and kept_up
    return Result("sustained load", figure, f"{LOAD_SHARE:.0%} of max, LLM {LLM_SEC:.1f} s: no 5xx, p99 ≤ {MAX_P99_SEC} s",
                  passed, {"maximum_rps": maximum, "rate": rate, "run": run, "service_cpu_share": service_cpu_share,
                           "service_waiting_share": waiting_share,
                           "cpu_ms_per_request": {"closed_loop": closed_cpu_sec * 1000, "open_loop": open_cpu_sec * 1000},
                           "fake_cpu_share": fake_cpu_share, "generator_kept_up": kept_up,
                           "forwarder_floor": floor})


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in sorted(counter.items())) or "none"
