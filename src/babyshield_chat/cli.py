"""`babyshield-chat`: the command line (spec section 8).

Each verb parses settings once; a malformed variable prints one line naming
it and exits with status 2, before anything starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import asyncpg

from babyshield_chat.config import ConfigError, Settings, load_settings
from babyshield_chat.db.embedded import EmbeddedPostgres, EmbeddedPostgresError
from babyshield_chat.db.migrate import MigrationError
from babyshield_chat.telemetry import configure_logging
from babyshield_chat.recalls.importer import ImportFailed, import_file
from babyshield_chat.recalls.reindex import prepare_database
from babyshield_chat.recalls.sync import SyncFailed, sync
from babyshield_chat.rollout import commands as rollout_commands

EXIT_CONFIG = 2
EXIT_FAILURE = 1
DEFAULT_PORT = 8080



def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="babyshield-chat", description="BabyShield Chat service.")
    verbs = parser.add_subparsers(dest="verb", required=True)

    serve = verbs.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--workers", type=_positive_int, default=1,
                       help="worker processes sharing the port (SO_REUSEPORT); the parent restarts crashed ones")
    # Internal: a worker started by `serve --workers N` (the parent migrated the database already).
    serve.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)

    fake = verbs.add_parser("fake-llm", help="run a fake OpenAI-compatible LLM with faults switchable at run time")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=8090)
    fake.add_argument("--mode", type=_fake_mode, default=None,
                      help='starting mode as JSON, e.g. \'{"latency": 1000, "error_rate": 0.1}\'')

    verbs.add_parser("migrate", help="apply pending database migrations")

    recalls = verbs.add_parser("recalls", help="load recall data").add_subparsers(dest="recalls_verb", required=True)
    importer = recalls.add_parser("import", help="import a CPSC or openFDA recall JSON file (idempotent)")
    importer.add_argument("file", nargs="+", type=Path)
    syncer = recalls.add_parser("sync", help="pull new recalls from the CPSC Recall API (BS_RECALLS_SOURCE_URL)")
    syncer.add_argument("--since", type=_date, help="start date (YYYY-MM-DD); default: where the last sync stopped")
    rollout_commands.add_parser(verbs)
    soak = verbs.add_parser("soak", help="mixed traffic with random LLM faults and a database restart")
    soak.add_argument("--duration", type=float, default=300.0, help="seconds of traffic (default 300)")
    soak.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    soak.add_argument("--seed", type=int, default=1, help="random seed of traffic and faults")
    smoke = verbs.add_parser("smoke", help="end-to-end check of a running deployment: every intent, "
                                           "an emergency, explain, a blocked user, the flags")
    smoke.add_argument("--url", required=True, help="the service's base URL, e.g. http://127.0.0.1:8080")
    smoke.add_argument("--token", help="a JWT of the smoke user (default: dev identity --user-id)")
    smoke.add_argument("--user-id", default="smoke-tester", help="dev-mode X-User-Id (default smoke-tester)")
    smoke.add_argument("--blocked-token", help="a JWT of a user for whom chat is off")
    smoke.add_argument("--blocked-user", help="a dev-mode user id for whom chat is off (default: derived)")
    smoke.add_argument("--admin-token", help="BS_ADMIN_TOKEN: also read the admin flag and rollout views")
    smoke.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    drill = verbs.add_parser("drill", help="the hostile mix: slow bodies, bad input, a PostgreSQL freeze and "
                                           "restart, SIGTERM under load; exits 1 unless nothing failed")
    drill.add_argument("--duration", type=float, default=40.0, help="seconds of traffic before SIGTERM (default 40)")
    drill.add_argument("--concurrency", type=int, default=4, help="concurrent parent clients (default 4)")
    drill.add_argument("--seed", type=int, default=1, help="random seed of the traffic")
    return parser


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _fake_mode(text: str):
    from babyshield_chat.devtools.fake_llm.modes import FakeMode

    try:
        return FakeMode().updated(json.loads(text))
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise argparse.ArgumentTypeError(f"bad fake LLM mode {text!r}: {exc}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"babyshield-chat: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.telemetry)
    try:
        if args.verb == "serve":
            if args.worker:
                return _serve_worker(settings, args.host, args.port)
            if args.workers > 1:
                return _serve_workers(settings, args.host, args.port, args.workers)
            return _serve(settings, args.host, args.port)
        if args.verb == "fake-llm":
            from babyshield_chat.devtools.fake_llm.server import run_fake_llm

            run_fake_llm(args.host, args.port, args.mode)
            return 0
        if args.verb == "migrate":
            return _migrate(settings)
        if args.verb == "recalls":
            return _recalls(settings, args)
        if args.verb == "rollout":
            return rollout_commands.run(args, settings)
        if args.verb == "soak":
            from babyshield_chat.devtools import soak  # a tool, not part of the service: loaded only here

            return soak.run(args.duration, args.concurrency, args.seed)
        if args.verb == "smoke":
            from babyshield_chat.devtools import smoke  # a tool run against a deployment, loaded only here

            return smoke.run(args)
        if args.verb == "drill":
            from babyshield_chat.devtools import drill  # a tool, not part of the service: loaded only here

            return drill.run(args.duration, args.concurrency, args.seed)
    except (EmbeddedPostgresError, MigrationError, OSError, asyncpg.PostgresError, ImportFailed, SyncFailed) as exc:
        print(f"babyshield-chat: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_FAILURE


@contextlib.contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """`BS_DATABASE_URL`, or an embedded PostgreSQL started for this run."""
    if settings.database.url:
        yield settings.database.url
        return
    bindir = settings.database.embedded_bindir
    embedded = EmbeddedPostgres(
        Path(settings.database.embedded_dir), bindir=Path(bindir) if bindir else None
    )
    url = embedded.start()
    print(f"babyshield-chat: embedded PostgreSQL in {embedded.data_dir} on port {embedded.port}", file=sys.stderr)
    try:
        yield url
    finally:
        embedded.stop()


def _migrate(settings: Settings) -> int:
    if not settings.database.url:
        print("babyshield-chat: migrate needs BS_DATABASE_URL (serve migrates its embedded database itself)",
              file=sys.stderr)
        return EXIT_CONFIG
    applied = asyncio.run(prepare_database(settings.database.url))
    print(f"applied {len(applied)} migration(s)" + "".join(f"\n  {m.version:04d}_{m.name}" for m in applied))
    return 0


def _recalls(settings: Settings, args: argparse.Namespace) -> int:
    """Import or sync into BS_DATABASE_URL, or into the embedded database `serve` uses."""
    with database_url(settings) as url:
        asyncio.run(prepare_database(url))
        if args.recalls_verb == "sync":
            report = asyncio.run(sync(url, settings.chat.recalls_source_url, since=args.since))
            print(report.line())
            return 0
        failed = 0
        for path in args.file:
            # One unreadable file must not stop the others; the exit status reports it.
            try:
                result = asyncio.run(import_file(url, path))
            except ImportFailed as exc:
                print(f"babyshield-chat: {exc}", file=sys.stderr)
                failed += 1
                continue
            print("\n".join(result.lines()))
    return EXIT_FAILURE if failed else 0


def _serve(settings: Settings, host: str, port: int) -> int:
    with database_url(settings) as url:
        asyncio.run(prepare_database(url))
        return _run_app(settings, url, host, port, reuse_port=False)


def _serve_worker(settings: Settings, host: str, port: int) -> int:
    """One worker of `serve --workers N`: the parent prepared and migrated the database."""
    if not settings.database.url:
        print("babyshield-chat: serve --worker is started by serve --workers N, which sets BS_DATABASE_URL",
              file=sys.stderr)
        return EXIT_CONFIG
    return _run_app(settings, settings.database.url, host, port, reuse_port=True)


def _serve_workers(settings: Settings, host: str, port: int, count: int) -> int:
    from babyshield_chat.workers import Supervisor, worker_command, worker_env

    if port == 0:
        # Each worker would bind a different ephemeral port: there would be no one service address.
        print("babyshield-chat: serve --workers needs a fixed --port", file=sys.stderr)
        return EXIT_CONFIG
    with database_url(settings) as url:
        asyncio.run(prepare_database(url))
        supervisor = Supervisor(worker_command(host, port), count, env=worker_env(url),
                                # Each worker drains (delay, then the grace period) before the parent may SIGKILL it.
                                grace_sec=settings.server.shutdown_grace_sec + settings.server.shutdown_drain_delay_sec)
        return supervisor.run()


def _run_app(settings: Settings, url: str, host: str, port: int, *, reuse_port: bool) -> int:
    from babyshield_chat.app import create_app
    from babyshield_chat.gc_tuning import tune_for_serving
    from babyshield_chat.server import serve_app
    from babyshield_chat.telemetry import JsonAccessLogger, Telemetry

    telemetry = Telemetry.create(settings.telemetry)
    configure_logging(settings.telemetry, otlp_handler=telemetry.log_handler)
    try:
        app = create_app(settings, database_url=url, telemetry=telemetry)
        tune_for_serving()  # start-up is done: see gc_tuning for the pauses this avoids
        asyncio.run(serve_app(app, host, port, reuse_port=reuse_port, access_log_class=JsonAccessLogger))
    finally:
        telemetry.shutdown()  # flushes what the exporters still hold
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
