"""Two versions of the pipeline side by side in one run: what one change saved.

    python -m bench.ab --base REV [--rounds 6] [--duration 6] [--env NAME=VALUE ...]

Checks out `REV` (any git revision, e.g. `HEAD~1` or `main`) into the scratch
directory, then starts the pipeline twice, as the peer scenario does (the
service as `scripts/serve` runs it, `/metrics` on, JSON logs; one PostgreSQL
with the recall data; one fake LLM answering its fixed completion at once):
"base" from that checkout, "this" from this one. wrk (32 connections) drives
them in turn, round after round (base, this, this, base, ...: each starts half
the rounds), so that a busy neighbour on this shared machine hurts both alike.
Per round it prints throughput, p50/p99 and the service's CPU per request,
user and system apart, and PostgreSQL's; at the end the throughput ratio
this/base round by round, its median, and the median CPU per request of each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import stack, wrk
from bench.freeze import cluster_cpu_seconds
from bench.peer_servers import FIX_ANSWER_PATH
from bench.peers import _json, llm_request_of_pipeline, start_server
from bench.scenarios import CHAT_BODY, CHAT_PATH, Options

WARM_UP_SEC = 3
_TICK = os.sysconf("SC_CLK_TCK")


def checkout(revision: str, scratch: stack.Scratch) -> Path:
    """`revision`'s tree (src/ and bench/ are all the service needs) under the scratch directory."""
    tree = scratch.path / "base"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(stack.ROOT), "archive", revision, "src", "bench"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / _TICK, int(fields[12]) / _TICK


def one_round(name: str, server: stack.Process, options: Options) -> dict[str, Any]:
    user, system = cpu_times(server.pid)
    database = cluster_cpu_seconds(options.scratch)
    run = wrk.run(f"http://127.0.0.1:{server.port}{CHAT_PATH}", body=json.dumps(CHAT_BODY).encode(),
                  user_prefix="user-", connections=options.connections, duration_sec=options.duration_sec)
    requests = run["requests"] or 1
    user_after, system_after = cpu_times(server.pid)
    return {"side": name, "rps": run["rps"], "p50_ms": run["p50_sec"] * 1000, "p99_ms": run["p99_sec"] * 1000,
            "user_ms": (user_after - user) / requests * 1000, "system_ms": (system_after - system) / requests * 1000,
            "database_ms": (cluster_cpu_seconds(options.scratch) - database) / requests * 1000,
            "non_2xx": run.get("non_2xx", 0)}


def compare(options: Options, base_tree: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    scratch = options.scratch
    fake = start_server("fake-llm", scratch)
    with stack.running(fake):
        service_env = {"BS_LLM_BASE_URL": f"http://127.0.0.1:{fake.port}/v1", "BS_LLM_API_KEY": "bench",
                       "BS_METRICS_PROMETHEUS": "true", **env}
        base_path = os.pathsep.join([str(base_tree / "src"), str(base_tree)])
        with stack.running(*stack.services("ab-base", scratch, {**service_env, "PYTHONPATH": base_path}),
                           *stack.services("ab-this", scratch, service_env)) as (base, this):
            sides = {"base": base, "this": this}
            llm_request_of_pipeline(this, fake, options)
            asyncio.run(_json("POST", f"http://127.0.0.1:{fake.port}{FIX_ANSWER_PATH}"))
            for server in sides.values():
                wrk.run(f"http://127.0.0.1:{server.port}{CHAT_PATH}", body=json.dumps(CHAT_BODY).encode(),
                        user_prefix="user-", connections=options.connections, duration_sec=WARM_UP_SEC)
            runs = []
            for index in range(options.rounds):
                order = ("base", "this") if index % 2 == 0 else ("this", "base")
                for name in order:
                    runs.append(one_round(name, sides[name], options))
                    print(_line(runs[-1]), file=sys.stderr)
    return runs


def _line(run: dict[str, Any]) -> str:
    return (f"{run['side']:<4} {run['rps']:7.0f} req/s  p50 {run['p50_ms']:6.1f} ms  p99 {run['p99_ms']:6.1f} ms  "
            f"CPU/request {run['user_ms'] + run['system_ms']:.3f} ms (user {run['user_ms']:.3f}, "
            f"system {run['system_ms']:.3f}) + PostgreSQL {run['database_ms']:.3f} ms")


def summary(runs: list[dict[str, Any]]) -> str:
    pairs = [(a, b) if a["side"] == "base" else (b, a) for a, b in zip(runs[::2], runs[1::2], strict=True)]
    ratios = [this["rps"] / base["rps"] for base, this in pairs]
    lines = [_line(run) for run in runs]
    lines.append("")
    lines.append("throughput this/base per round: " + ", ".join(f"{r:.2f}" for r in ratios)
                 + f"; median {statistics.median(ratios):.2f}x")
    for side in ("base", "this"):
        mine = [r for r in runs if r["side"] == side]
        cpu = statistics.median(r["user_ms"] + r["system_ms"] for r in mine)
        lines.append(f"{side}: median CPU/request {cpu:.3f} ms, median p99/p50 "
                     f"{statistics.median(r['p99_ms'] / r['p50_ms'] for r in mine):.2f}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines.append(f"load average at the end {load}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the git revision to compare this checkout with")
    parser.add_argument("--rounds", type=int, default=6, help="rounds, each side once per round (default 6)")
    parser.add_argument("--duration", type=int, default=6, help="seconds per run (default 6)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for both services (e.g. OTEL_TRACES_SAMPLER=always_on)")
    parser.add_argument("--data-dir", type=Path, default=stack.DEFAULT_DATA_DIR, help="recall JSON files to import")
    args = parser.parse_args(argv)
    if not wrk.available():
        parser.error("needs wrk (bench/run installs it from Debian)")
    env = dict(item.split("=", 1) for item in args.env)
    scratch = stack.Scratch()
    try:
        tree = checkout(args.base, scratch)
        with stack.postgres(scratch, args.data_dir) as url:
            stack.SERVICE_ENV["BS_DATABASE_URL"] = url
            options = Options(scratch=scratch, database_url=url, duration_sec=args.duration, rounds=args.rounds,
                              connections=args.connections)
            runs = compare(options, tree, env)
    finally:
        scratch.close()
    print(summary(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
