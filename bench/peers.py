"""Peer and limit (spec section 9): the full pipeline beside LiteLLM and a bare forwarder.

Three sides, one process each, the same load (`wrk`, `--connections`, 32 by
default), alternated round by round (pipeline, LiteLLM, forwarder, pipeline,
...) so that a busy neighbour hurts every side alike:

- **pipeline**: the service as `scripts/serve` runs it (`Telemetry.create` from
  the environment, `/metrics` on, JSON logs), the fake LLM configured through
  `BS_LLM_BASE_URL`/`BS_LLM_API_KEY`; the question runs the rules, the recall
  look-up in PostgreSQL and one structured LLM answer;
- **litellm**: the LiteLLM proxy forwarding one chat completion (`bench.litellm_proxy`);
- **forwarder**: a bare aiohttp handler forwarding one completion
  (`bench.peer_servers`), the limit for a Python service;
- **openai-fwd**: the forwarder sending the completion through the OpenAI
  client as the pipeline does (`bench.peer_servers openai-forwarder`), and
  answering the reply's JSON object: no target of its own, the floor that the
  client the spec requires puts under any pipeline (`FLOOR_SIDE`).

All three reach the same fake LLM, in a process of its own, answering at once.
LiteLLM and the forwarder send it the very request the pipeline sends (read
back from the fake after one conversation), so the fake does the same work for
every side. Each run reads the CPU time of the side's process and of the fake
from /proc: CPU per request for each side, and how busy the fake was (a fake
near one full core would be the bottleneck, not the side; the figure says so).

The targets: pipeline throughput ≥ 5× LiteLLM's and ≥ 0.25× the forwarder's,
and the pipeline's p99 ≤ 1.5× its p50 (wrk's percentiles, median over rounds).
"""

from __future__ import annotations

import asyncio
import json
import statistics
from typing import Any, NamedTuple

import aiohttp

from babyshield_chat.db.embedded import free_port

from bench import litellm_proxy, stack, wrk
from bench.freeze import cluster_cpu_seconds
from bench.peer_servers import COMPLETIONS_PATH, FIX_ANSWER_PATH, LAST_REQUEST_PATH
from bench.scenarios import CHAT_BODY, CHAT_PATH, Options, Result, loadgen

#: (side, its name in the table, the least pipeline/side throughput ratio).
PEER_TARGETS = (("litellm", "LiteLLM", 5.0), ("forwarder", "bare forwarder", 0.25))
#: The side that measures the OpenAI client's own floor, against the bare forwarder.
FLOOR_SIDE = "openai-fwd"
MAX_TAIL_RATIO = 1.5
#: A fake LLM busier than this share of one core during a run may be what limits that run.
FAKE_SATURATED = 0.85
WARM_UP_SEC = 2


class Side(NamedTuple):
    """What wrk sends to one side: its process, the path, the body and any extra header."""

    server: stack.Process
    path: str
    body: bytes
    headers: dict[str, str]


def start_server(kind: str, scratch: stack.Scratch, *extra: str) -> stack.Process:
    """`bench.peer_servers KIND` listening on a free port."""
    port = free_port()
    argv = stack.python("-m", "bench.peer_servers", kind, "--port", str(port), *extra)
    return stack.listening(stack.Process(f"peer-{kind}", argv, port, {}, scratch))


async def _json(method: str, url: str) -> Any:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.request(method, url) as response:
            response.raise_for_status()
            return await response.json()


def llm_request_of_pipeline(pipeline: stack.Process, fake: stack.Process, options: Options) -> dict[str, Any]:
    """The chat completion the pipeline sends the LLM for `CHAT_BODY`, read back from the fake."""
    body = options.scratch.path / "peer-chat.json"
    body.write_text(json.dumps(CHAT_BODY))
    url = f"http://127.0.0.1:{pipeline.port}{CHAT_PATH}"
    answered = loadgen("burst", "--url", url, "--body-file", str(body), "--requests", "1", "--user-prefix", "peer-",
                       timeout_sec=30)
    if answered["synthesizers"] != {"llm": 1}:
        raise RuntimeError(f"the pipeline did not answer through the LLM: {answered}")
    return asyncio.run(_json("GET", f"http://127.0.0.1:{fake.port}{LAST_REQUEST_PATH}"))


def fake_requests(fake: stack.Process) -> int:
    state = asyncio.run(_json("GET", f"http://127.0.0.1:{fake.port}/control"))
    return int(state["requests"]["chat_completions"])


def peer(options: Options) -> Result:
    scratch = options.scratch
    fake = start_server("fake-llm", scratch)
    with stack.running(fake):
        llm_base = f"http://127.0.0.1:{fake.port}/v1"
        env = {"BS_LLM_BASE_URL": llm_base, "BS_LLM_API_KEY": "bench", "BS_METRICS_PROMETHEUS": "true"}
        with stack.running(*stack.services("peer-pipeline", scratch, env)) as (pipeline,):
            llm_request = llm_request_of_pipeline(pipeline, fake, options)
            # From here on the fake answers that request's completion, fixed (bench.peer_servers).
            asyncio.run(_json("POST", f"http://127.0.0.1:{fake.port}{FIX_ANSWER_PATH}"))
            upstream = f"http://127.0.0.1:{fake.port}"
            forwarder = start_server("forwarder", scratch, "--upstream", upstream)
            openai_forwarder = start_server("openai-forwarder", scratch, "--upstream", upstream)
            with stack.running(forwarder, openai_forwarder, litellm_proxy.start(scratch, llm_base)) as (*_, litellm):
                chat = json.dumps(CHAT_BODY).encode()
                completion = json.dumps({**llm_request, "model": litellm_proxy.MODEL}).encode()
                sides = {
                    "pipeline": Side(pipeline, CHAT_PATH, chat, {}),
                    "litellm": Side(litellm, COMPLETIONS_PATH, completion,
                                    {"Authorization": f"Bearer {litellm_proxy.MASTER_KEY}"}),
                    "forwarder": Side(forwarder, COMPLETIONS_PATH, completion, {}),
                    FLOOR_SIDE: Side(openai_forwarder, COMPLETIONS_PATH, completion, {}),
                }
                runs = _interleaved(options, sides, fake)
    return _result(runs, litellm_version=litellm_proxy.installed_version(), llm_request_bytes=len(completion))


def _wrk(side: Side, options: Options, duration_sec: int) -> dict[str, Any]:
    return wrk.run(f"http://127.0.0.1:{side.server.port}{side.path}", body=side.body, headers=side.headers,
                   user_prefix="user-", connections=options.connections, duration_sec=duration_sec)


def _interleaved(options: Options, sides: dict[str, Side], fake: stack.Process) -> dict[str, list[dict[str, Any]]]:
    """Every side once per round, in turn; each run with the CPU of its server, of PostgreSQL and of the fake."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for side in sides.values():
        # Not counted: lazy imports and first-call set-up (LiteLLM's first requests cost several times the rest).
        _wrk(side, options, WARM_UP_SEC)
    for _ in range(options.rounds):
        for name, side in sides.items():
            cpu, fake_cpu, fake_calls = side.server.cpu_seconds(), fake.cpu_seconds(), fake_requests(fake)
            waiting = side.server.waiting_seconds()
            database_cpu = cluster_cpu_seconds(options.scratch)
            run = _wrk(side, options, options.duration_sec)
            requests = run.get("requests") or 0
            run["llm_calls"] = fake_requests(fake) - fake_calls
            if requests:
                run["cpu_us_per_request"] = (side.server.cpu_seconds() - cpu) / requests * 1e6
                database_sec = cluster_cpu_seconds(options.scratch) - database_cpu
                run["database_cpu_us_per_request"] = database_sec / requests * 1e6
            run["fake_cpu_share"] = (fake.cpu_seconds() - fake_cpu) / options.duration_sec
            run["waiting_share"] = (side.server.waiting_seconds() - waiting) / options.duration_sec
            # wrk counts the answers finished in time, not the requests it left in flight when it stopped.
            run["one_llm_call_each"] = abs(run["llm_calls"] - requests) <= max(2 * options.connections, requests / 50)
            runs[name].append(run)
    return runs


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def _result(runs: dict[str, list[dict[str, Any]]], **facts: Any) -> Result:
    summary = {side: {"rps": statistics.fmean(r["rps"] for r in side_runs),
                      "p50_sec": _median(side_runs, "p50_sec"), "p99_sec": _median(side_runs, "p99_sec"),
                      "cpu_us_per_request": _median(side_runs, "cpu_us_per_request"),
                      "fake_cpu_share": max(r["fake_cpu_share"] for r in side_runs),
                      "database_cpu_us_per_request": _median(side_runs, "database_cpu_us_per_request"),
                      "waiting_share": _median(side_runs, "waiting_share"),
                      "one_llm_call_each": all(r["one_llm_call_each"] for r in side_runs),
                      "non_2xx": sum(r.get("non_2xx", 0) for r in side_runs)}
               for side, side_runs in runs.items()}
    pipeline = summary["pipeline"]
    # (what, figure, goal, passed): the three targets, in the table's order.
    targets = [(f"pipeline / {name} throughput", pipeline["rps"] / summary[side]["rps"], f"≥ {goal:g}×",
                pipeline["rps"] / summary[side]["rps"] >= goal) for side, name, goal in PEER_TARGETS]
    tail = pipeline["p99_sec"] / pipeline["p50_sec"]
    targets.append(("pipeline p99 / p50", tail, f"≤ {MAX_TAIL_RATIO:g}×", tail <= MAX_TAIL_RATIO))
    floor = summary[FLOOR_SIDE]["rps"] / summary["forwarder"]["rps"]
    errors = sum(s["non_2xx"] for s in summary.values())
    fake_busiest = max(s["fake_cpu_share"] for s in summary.values())
    saturated = [side for side, s in summary.items() if s["fake_cpu_share"] >= FAKE_SATURATED]
    cpu_ratio = summary["litellm"]["cpu_us_per_request"] / pipeline["cpu_us_per_request"]
    # Each side must make one LLM call per answer: more would be retries, fewer a side not forwarding.
    odd_calls = [side for side, s in summary.items() if not s["one_llm_call_each"]]
    figure = ("; ".join(f"{side} {s['rps']:.0f} req/s, p50 {s['p50_sec'] * 1000:.1f} ms, p99 {s['p99_sec'] * 1000:.1f} ms, "
                        f"{s['cpu_us_per_request'] / 1000:.2f} ms CPU/request" for side, s in summary.items())
              + ". " + ", ".join(f"{what} {value:.2f}× ({'PASS' if passed else 'FAIL'})"
                                 for what, value, _, passed in targets)
              + f"; LiteLLM spends {cpu_ratio:.1f}× the pipeline's CPU per request"
              + f" (PostgreSQL adds {pipeline['database_cpu_us_per_request'] / 1000:.2f} ms to the pipeline's)"
              + f"; the OpenAI client alone (forwarder through it) {floor:.2f}× the bare forwarder, "
              f"{summary[FLOOR_SIDE]['cpu_us_per_request'] / 1000:.2f} ms CPU/request"
              + f"; the pipeline's event loop waited for a core {pipeline['waiting_share']:.0%} of the time"
              + f"; fake LLM at most {fake_busiest:.0%} of a core"
              + (f" (saturated during: {', '.join(saturated)})" if saturated else " (not the bottleneck)")
              + (f"; {errors} non-2xx answers" if errors else "")
              + (f"; not one LLM call per answer: {', '.join(odd_calls)}" if odd_calls else ""))
    goal = ", ".join(f"≥ {least:g}× {name}" for _, name, least in PEER_TARGETS)
    goal += f", p99 ≤ {MAX_TAIL_RATIO:g}× p50"
    passed = all(t[3] for t in targets) and not errors and not saturated and not odd_calls
    return Result("peer and limit", figure, goal, passed,
                  {"sides": summary, "cpu_ratio_litellm": cpu_ratio, "fake_saturated_during": saturated,
                   "openai_client_floor": floor,
                   "targets": [{"what": w, "figure": v, "goal": g, "passed": p} for w, v, g, p in targets],
                   "runs": runs, "table": table(summary, targets, floor), **facts})


def table(summary: dict[str, dict[str, Any]], targets: list[tuple[str, float, str, bool]], floor: float) -> str:
    """The peer table: one line per side, then each target with PASS/FAIL, then the OpenAI client's floor."""
    lines = [f"{'side':<10} | {'req/s':>6} | {'p50':>9} | {'p99':>9} | {'CPU/request':>11} | "
             f"{'+ PostgreSQL':>12} | waiting for a core | fake LLM busy",
             "-----------+--------+-----------+-----------+-------------+--------------+--------------------+--------------"]
    for side, s in summary.items():
        lines.append(f"{side:<10} | {s['rps']:>6.0f} | {s['p50_sec'] * 1000:>6.1f} ms | {s['p99_sec'] * 1000:>6.1f} ms | "
                     f"{s['cpu_us_per_request'] / 1000:>8.2f} ms | "
                     f"{s['database_cpu_us_per_request'] / 1000:>9.2f} ms | {s['waiting_share']:>11.0%} of time | "
                     f"{s['fake_cpu_share']:.0%} of a core")
    lines.append("")
    lines += [f"{what + f' {value:.2f}×':<44} | {goal:<7} | {'PASS' if passed else 'FAIL'}"
              for what, value, goal, passed in targets]
    lines.append(f"{f'floor: {FLOOR_SIDE} / bare forwarder {floor:.2f}×':<44} | (the OpenAI client's own cost)")
    return "\n".join(lines)
