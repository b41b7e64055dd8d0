"""`bench/run`: start what the benchmark needs, run the section 9 measurements, print the table.

    bench/run                      # all of them, table on stdout (about 8 minutes on 2 cores)
    bench/run --json               # one JSON document instead
    bench/run gate deadline        # only these
    bench/run peer                 # the pipeline beside LiteLLM and a bare forwarder
    bench/run --workers 2 concurrency

Exit status 0 when every target passed, 1 otherwise. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from bench import freeze, peers, report, scenarios, stack, sustained
from bench.scenarios import Options, Result

SCENARIOS = {**scenarios.SCENARIOS, "sustained": sustained.sustained, "freeze": freeze.freeze, "peer": peers.peer}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                        help=f"any of {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    parser.add_argument("--duration", type=int, default=6, help="seconds per throughput run (default 6)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved A/B rounds per throughput target")
    parser.add_argument("--connections", type=int, default=32, help="connections of the throughput runs")
    parser.add_argument("--concurrency", type=int, default=2000, help="conversations at once (default 2000)")
    parser.add_argument("--workers", type=int, default=1, help="service processes for the concurrency run")
    parser.add_argument("--sustained-duration", type=int, default=60, help="seconds of open-loop arrivals (default 60)")
    parser.add_argument("--data-dir", type=Path, default=stack.DEFAULT_DATA_DIR, help="recall JSON files to import")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs) after the run")
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.scenarios or list(SCENARIOS)
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    started = time.monotonic()
    scratch = stack.Scratch(keep=args.keep)
    results: list[Result] = []
    try:
        print(f"bench: scratch directory {scratch.path}", file=sys.stderr)
        with stack.postgres(scratch, args.data_dir) as url:
            options = Options(scratch=scratch, database_url=url, duration_sec=args.duration, rounds=args.rounds,
                              connections=args.connections, concurrency=args.concurrency, workers=args.workers,
                              sustained_sec=args.sustained_duration)
            stack.SERVICE_ENV["BS_DATABASE_URL"] = url
            for name in names:
                print(f"bench: {name} ...", file=sys.stderr)
                results.append(SCENARIOS[name](options))
                print(f"bench: {name}: {results[-1].figure}", file=sys.stderr)
    finally:
        scratch.close()
    elapsed = time.monotonic() - started
    if args.json:
        print(report.as_json(results, started_at=started_at, elapsed_sec=elapsed))
    else:
        print(report.table(results))
        machine = report.machine()
        # The machine is shared: the load average says how much the figures had to share it.
        load = ", ".join(f"{value:.1f}" for value in machine["load_average"])
        print(f"\n{machine['cpus']} CPUs, {elapsed:.0f} s, {started_at}, load average at the end {load}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
