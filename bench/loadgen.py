"""The benchmark's load generator: an asyncio aiohttp client, run in a process of its own.

It runs apart from the service so that the two never share an event loop or a
core's worth of GIL; `bench.wrk` checks it against `wrk` on the plain cases.
Three modes, each printing one JSON object on stdout:

- `closed`: C connections each send the next request as soon as the last one
  answered, for a duration; requests finished during the warm-up are not
  counted. Gives throughput, status counts and latency percentiles
  (`--inspect`: and how the answers were written).
- `burst`: N connections are opened first (one `GET /healthz` each, kept alive),
  then N requests start at once. Gives every latency, status and the answer's
  `synthesizer` / `fallback_reason`.
- `probe`: one request at a time every `interval`, with the wall-clock time of
  each, until `count` requests or until an answer's `synthesizer` equals
  `--until-synthesizer`. Used to watch a breaker open and close.

Usage: `python -m bench.loadgen MODE --url URL [--body-file F] [--user-prefix P --users N] ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from typing import Any

import aiohttp

ANSWER_FIELDS = ("synthesizer", "fallback_reason")


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list (q in [0, 100])."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def latency_summary(latencies: list[float]) -> dict[str, float | None]:
    ordered = sorted(latencies)
    return {
        "p50_sec": percentile(ordered, 50), "p95_sec": percentile(ordered, 95), "p99_sec": percentile(ordered, 99),
        "max_sec": ordered[-1] if ordered else None,
    }


class Requests:
    """The request to send: method, URL, body, and a user id rotating over `users` ids."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.method = args.method
        self.url = args.url
        self.body = open(args.body_file, "rb").read() if args.body_file else None
        self._users = args.users
        self._prefix = args.user_prefix
        self._next = 0

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._prefix:
            headers["X-User-Id"] = f"{self._prefix}{self._next % self._users}"
            self._next += 1
        return headers

    async def send(self, session: aiohttp.ClientSession, *, inspect: bool) -> tuple[int, float, dict[str, Any]]:
        started = time.perf_counter()
        async with session.request(self.method, self.url, data=self.body, headers=self.headers()) as response:
            raw = await response.read()
            elapsed = time.perf_counter() - started
            return response.status, elapsed, answer_fields(response.status, raw) if inspect else {}


def answer_fields(status: int, raw: bytes) -> dict[str, Any]:
    """How a 200 was written (`synthesizer`, `fallback_reason`), or an error answer's `error_code`."""
    try:
        answer = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(answer, dict):
        return {}
    if status == 200:
        return {name: answer.get(name) for name in ANSWER_FIELDS}
    error = answer.get("error")
    return {"error_code": error.get("code")} if isinstance(error, dict) else {}


def _session(connections: int, timeout_sec: float) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections, force_close=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout_sec))


async def closed(args: argparse.Namespace) -> dict[str, Any]:
    requests = Requests(args)
    statuses: collections.Counter[int] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    answers: list[dict[str, Any]] = []
    latencies: list[float] = []
    async with _session(args.connections, args.timeout) as session:
        start = time.perf_counter()
        measure_from = start + args.warmup
        stop = measure_from + args.duration

        async def worker() -> None:
            while time.perf_counter() < stop:
                try:
                    status, elapsed, fields = await requests.send(session, inspect=args.inspect)
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    if time.perf_counter() >= measure_from:
                        errors[type(exc).__name__] += 1
                    continue
                if measure_from <= time.perf_counter() <= stop:
                    statuses[status] += 1
                    latencies.append(elapsed)
                    if args.inspect:
                        answers.append(fields)

        await asyncio.gather(*(worker() for _ in range(args.connections)))
    done = sum(statuses.values())
    return {"mode": "closed", "connections": args.connections, "duration_sec": args.duration, "requests": done,
            "rps": done / args.duration, "statuses": {str(k): v for k, v in statuses.items()},
            "errors": dict(errors), **latency_summary(latencies), **(_answers(answers) if args.inspect else {})}


async def burst(args: argparse.Namespace) -> dict[str, Any]:
    requests = Requests(args)
    base = args.url.split("/api/", 1)[0]
    async with _session(args.requests, args.timeout) as session:
        # Open every connection first: a balancer in front keeps them open, and
        # connection set-up is not what this scenario measures.
        async def warm() -> None:
            async with session.get(f"{base}/healthz") as response:
                await response.read()

        await asyncio.gather(*(warm() for _ in range(args.requests)))
        gate = asyncio.Event()

        async def one() -> dict[str, Any]:
            await gate.wait()
            try:
                status, elapsed, fields = await requests.send(session, inspect=True)
                return {"status": status, "latency_sec": elapsed, **fields}
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                return {"status": 0, "latency_sec": None, "error": type(exc).__name__}

        tasks = [asyncio.create_task(one()) for _ in range(args.requests)]
        await asyncio.sleep(0)  # every task is now waiting at the gate
        started = time.perf_counter()
        gate.set()
        results = await asyncio.gather(*tasks)
        wall = time.perf_counter() - started
    return {"mode": "burst", "requests": args.requests, "wall_sec": wall, **_tally(results)}


async def probe(args: argparse.Namespace) -> dict[str, Any]:
    requests = Requests(args)
    results: list[dict[str, Any]] = []
    async with _session(1, args.timeout) as session:
        for _ in range(args.count):
            at = time.time()
            try:
                status, elapsed, fields = await requests.send(session, inspect=True)
                results.append({"at": at, "status": status, "latency_sec": elapsed, **fields})
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                results.append({"at": at, "status": 0, "latency_sec": None, "error": type(exc).__name__})
            if args.until_synthesizer and results[-1].get("synthesizer") == args.until_synthesizer:
                break
            await asyncio.sleep(args.interval)
    return {"mode": "probe", "results": results}


def _answers(results: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """How the answers were written: counts of `synthesizer` and `fallback_reason`."""
    return {"synthesizers": dict(collections.Counter(str(r.get("synthesizer")) for r in results)),
            "fallback_reasons": dict(collections.Counter(str(r.get("fallback_reason")) for r in results))}


def _tally(results: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = [r["latency_sec"] for r in results if r.get("latency_sec") is not None]
    by_status: dict[str, list[float]] = collections.defaultdict(list)
    for r in results:
        if r.get("latency_sec") is not None:
            by_status[str(r.get("status"))].append(r["latency_sec"])
    return {"statuses": dict(collections.Counter(str(r.get("status")) for r in results)), **_answers(results),
            "error_codes": dict(collections.Counter(str(r["error_code"]) for r in results if "error_code" in r)),
            "latency_by_status": {status: latency_summary(values) for status, values in by_status.items()},
            **latency_summary(latencies)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("mode", choices=("closed", "burst", "probe"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", default="POST")
    parser.add_argument("--body-file")
    parser.add_argument("--user-prefix", default="", help="send X-User-Id: PREFIX<n>")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--inspect", action="store_true", help="closed mode: tally the answers' synthesizer too")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--until-synthesizer")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    result = asyncio.run({"closed": closed, "burst": burst, "probe": probe}[args.mode](args))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
