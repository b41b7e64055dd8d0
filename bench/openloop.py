"""An open-loop load generator: requests leave on a schedule, whatever the answers do.

`bench.loadgen` and `wrk` are closed loops: a connection sends its next request
only when the last one is answered, so a slow server is sent less and its
queue never shows (coordinated omission). Here the arrival times are drawn
first, a Poisson process at `--rate` for `--duration` (seeded, so a run can
be repeated), and each request is sent at its time on a connection of its
own if need be. Latency is counted from the scheduled time, not from the send,
so a generator that falls behind cannot flatter the server; and it reports how
far behind it fell: the **send lag**, from the scheduled time to the moment
aiohttp wrote the request headers (p50/p99/max), and its own CPU. A run whose
lag is a sizeable part of the latencies measured says more about the
generator than about the server.

    python -m bench.openloop --url URL --body-file F --rate 250 --duration 60 \
        [--user-prefix P --users N] [--warm-connections N] [--records]

`--warm-connections` opens that many keep-alive connections first (one
`GET /healthz` each), as a balancer in front would hold them; `--records` adds
every request (scheduled offset, status, latency, how the answer was written)
to the JSON printed on stdout. The line `started` on stderr marks the start of
the schedule, for a caller that times something against it (`bench.freeze`).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import sys
import time
from types import SimpleNamespace
from typing import Any

import aiohttp

from bench.loadgen import Requests, _tally, answer_fields, latency_summary


def arrivals(rate: float, duration_sec: float, seed: int) -> list[float]:
    """Offsets (seconds from the start) of a Poisson process at `rate` per second."""
    rng = random.Random(seed)
    offsets, at = [], rng.expovariate(rate)
    while at < duration_sec:
        offsets.append(at)
        at += rng.expovariate(rate)
    return offsets


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every request of the schedule, each sent at its time; the tally as one JSON-ready dict."""
    requests = Requests(args)
    schedule = arrivals(args.rate, args.duration, args.seed)
    trace = aiohttp.TraceConfig()

    async def on_headers_sent(_session: Any, context: SimpleNamespace, _params: Any) -> None:
        if context.trace_request_ctx is not None:  # None: a warm-up request
            context.trace_request_ctx["sent"] = time.perf_counter()

    trace.on_request_headers_sent.append(on_headers_sent)
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    results: list[dict[str, Any]] = []
    errors: collections.Counter[str] = collections.Counter()
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace],
                                     timeout=aiohttp.ClientTimeout(total=args.timeout)) as session:
        await _warm(session, args)

        async def one(offset: float, due: float) -> None:
            record: dict[str, Any] = {"offset_sec": offset, "status": 0}
            context: dict[str, float] = {}
            try:
                async with session.request(requests.method, requests.url, data=requests.body,
                                           headers=requests.headers(), trace_request_ctx=context) as response:
                    raw = await response.read()
                    done = time.perf_counter()
                    record["status"] = response.status
                    record.update(answer_fields(response.status, raw))
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                done = time.perf_counter()
                errors[type(exc).__name__] += 1
                record["error"] = type(exc).__name__
            record["latency_sec"] = done - due
            if "sent" in context:
                record["lag_sec"] = context["sent"] - due
                record["service_latency_sec"] = done - context["sent"]
            results.append(record)

        cpu_before = time.process_time()
        started_wall, start = time.time(), time.perf_counter()
        print("started", file=sys.stderr, flush=True)  # for a caller timing something against the schedule
        tasks = []
        for offset in schedule:
            due = start + offset
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(offset, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_before
    lags = [r["lag_sec"] for r in results if "lag_sec" in r]
    document = {
        "mode": "open", "rate": args.rate, "duration_sec": args.duration, "started_at": started_wall,
        "sent": len(schedule), "arrival_rate": len(schedule) / args.duration, "elapsed_sec": elapsed,
        "errors": dict(errors), **_tally(results),
        "send_lag": latency_summary(lags),
        "service_latency": latency_summary([r["service_latency_sec"] for r in results if "service_latency_sec" in r]),
        "generator_cpu_share": cpu / elapsed,
    }
    if args.records:
        document["records"] = sorted(results, key=lambda r: r["offset_sec"])
    return document


async def _warm(session: aiohttp.ClientSession, args: argparse.Namespace) -> None:
    """Open `--warm-connections` keep-alive connections before the schedule starts."""
    if args.warm_connections <= 0:
        return
    base = args.url.split("/api/", 1)[0]

    async def warm() -> None:
        async with session.get(f"{base}/healthz") as response:
            await response.read()

    await asyncio.gather(*(warm() for _ in range(args.warm_connections)))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.openloop")
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", default="POST")
    parser.add_argument("--body-file")
    parser.add_argument("--user-prefix", default="", help="send X-User-Id: PREFIX<n>")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rate", type=float, required=True, help="mean arrivals per second")
    parser.add_argument("--duration", type=float, required=True, help="seconds of arrivals")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0, help="a request still unanswered then is an error")
    parser.add_argument("--warm-connections", type=int, default=0)
    parser.add_argument("--records", action="store_true", help="every request in the output")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0:
        parser.error("--rate and --duration must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    result = asyncio.run(run(parse_args(argv)))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
