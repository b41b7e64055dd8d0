"""`bench/answers/run`: run the answer benchmark and print the pass rate per category.

    bench/answers/run                              # every case, offline writer, table on stdout
    bench/answers/run --synthesizer fallback       # the LLM failing: the fallback writer answers
    bench/answers/run --synthesizer llm            # the LLM path, through the project's fake LLM
    bench/answers/run --category ages --case famous-rnp-by-name
    bench/answers/run --json                       # one JSON document instead of the table

It starts a throwaway PostgreSQL from the machine's binaries, migrates it,
imports every recall file of the shared data folder with the project's
importer, serves the app through its own factory and sends every case through
the HTTP API. Exit status: 0 when every case passed, 1 when any failed, 2 when
the run could not start (a bad command line or cases file, no recall data, no
PostgreSQL binaries).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from babyshield_chat.db.embedded import EmbeddedPostgresError

from bench import stack
from bench.answers.cases import CASES_FILE, CATEGORIES, Case, CasesError, Suite, load_suite
from bench.answers.judge import RunFacts
from bench.answers.report import Report
from bench.answers.runner import CaseResult, run_suite
from bench.answers.service import SYNTHESIZERS, serving

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CannotRun(RuntimeError):
    """Something the run needs is missing; the message says what."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/answers/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthesizer", choices=SYNTHESIZERS, default="offline",
                        help="which writer answers (default offline)")
    parser.add_argument("--category", action="append", default=[], metavar="NAME",
                        help=f"only this category (repeatable): {', '.join(CATEGORIES)}")
    parser.add_argument("--case", action="append", default=[], metavar="ID", help="only this case (repeatable)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    parser.add_argument("--cases-file", type=Path, default=CASES_FILE, help="the cases (default: cases.yml here)")
    parser.add_argument("--data-dir", type=Path, default=stack.DEFAULT_DATA_DIR, help="recall JSON files to import")
    parser.add_argument("--concurrency", type=int, default=1, help="cases in flight at once (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (PostgreSQL log) after the run")
    args = parser.parse_args(argv)
    unknown = [c for c in args.category if c not in CATEGORIES]
    if unknown:
        parser.error(f"unknown category {', '.join(unknown)}; choose from {', '.join(CATEGORIES)}")
    if args.concurrency < 1:
        parser.error(f"--concurrency must be at least 1, got {args.concurrency}")
    return args


def check_data_dir(data_dir: Path) -> None:
    """`CannotRun` unless `data_dir` holds JSON recall files (the cases are about that data)."""
    if not data_dir.is_dir() or not any(data_dir.glob("*.json")):
        raise CannotRun(f"no recall data in {data_dir} (JSON files expected; see --data-dir)")


def select(suite: Suite, categories: Sequence[str], case_ids: Sequence[str]) -> list[Case]:
    """The cases named by id or category (all when neither is given); `CasesError` for an unknown id."""
    known = {case.id for case in suite.cases}
    missing = [case_id for case_id in case_ids if case_id not in known]
    if missing:
        raise CasesError(f"no case with id {', '.join(missing)}")
    if not categories and not case_ids:
        return list(suite.cases)
    return [c for c in suite.cases if c.category in categories or c.id in case_ids]


async def _serve_and_run(database_url: str, cases: Sequence[Case], facts: RunFacts, synthesizer: str,
                         concurrency: int) -> list[CaseResult]:
    async with serving(database_url, synthesizer) as base_url:
        return await run_suite(cases, base_url, facts, concurrency=concurrency)


def run_benchmark(suite: Suite, cases: Sequence[Case], *, synthesizer: str = "offline",
                  data_dir: Path = stack.DEFAULT_DATA_DIR, concurrency: int = 1, keep: bool = False) -> Report:
    """Start PostgreSQL with the data, serve the app, send and judge `cases`; everything is stopped after."""
    started = time.monotonic()
    scratch = stack.Scratch(keep=keep)
    try:
        with stack.postgres(scratch, data_dir) as url:
            checked_on = dt.datetime.now(dt.timezone.utc).date()  # the importer just dated the data
            facts = RunFacts(checked_on=checked_on, newest_recall=dt.date.fromisoformat(suite.newest_recall))
            results = asyncio.run(_serve_and_run(url, cases, facts, synthesizer, concurrency))
    finally:
        scratch.close()
    return Report(synthesizer, results, time.monotonic() - started, checked_on.isoformat(), suite.newest_recall)


@contextlib.contextmanager
def _quiet_service() -> Iterator[None]:
    """The service's own warnings (an LLM failing on purpose) are not the benchmark's output."""
    logger = logging.getLogger("babyshield_chat")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        suite = load_suite(args.cases_file)
        cases = select(suite, args.category, args.case)
        check_data_dir(args.data_dir)
        with _quiet_service():
            report = run_benchmark(suite, cases, synthesizer=args.synthesizer, data_dir=args.data_dir,
                                   concurrency=args.concurrency, keep=args.keep)
    except (CasesError, CannotRun, EmbeddedPostgresError) as exc:
        print(f"bench/answers: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(report.as_json(), indent=2, ensure_ascii=False) if args.json else report.table())
    return EXIT_OK if report.passed else EXIT_FAILED
