"""Runs the service for the benchmark exactly as `babyshield-chat serve` does, with a chosen telemetry.

`serve` always builds `Telemetry.create(settings)` from the environment; the
telemetry-cost target compares that against `Telemetry.disabled()`, which no
environment variable selects. So this launcher repeats `serve`'s few lines
(settings from the environment, JSON logging, the collector tuning, the JSON
access log, `serve_app`)
and only lets the benchmark pick the telemetry. The database comes from
`BS_DATABASE_URL`, already migrated by the benchmark.

Usage: `python -m bench.service --port PORT --telemetry {create,disabled} [--reuse-port]`.
"""

from __future__ import annotations

import argparse
import asyncio

from babyshield_chat.app import create_app
from babyshield_chat.config import load_settings
from babyshield_chat.gc_tuning import tune_for_serving
from babyshield_chat.server import serve_app
from babyshield_chat.telemetry import JsonAccessLogger, Telemetry, configure_logging


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.service")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--telemetry", choices=("create", "disabled"), default="create")
    parser.add_argument("--reuse-port", action="store_true", help="share the port with sibling processes")
    args = parser.parse_args(argv)

    settings = load_settings()
    if args.telemetry == "disabled":
        telemetry = Telemetry.disabled(settings.telemetry)
    else:
        telemetry = Telemetry.create(settings.telemetry)
    configure_logging(settings.telemetry, otlp_handler=telemetry.log_handler)
    url = settings.database.url
    if not url:
        raise SystemExit("bench.service needs BS_DATABASE_URL")
    try:
        app = create_app(settings, database_url=url, telemetry=telemetry)
        tune_for_serving()  # as `serve` does
        asyncio.run(serve_app(app, "127.0.0.1", args.port, reuse_port=args.reuse_port,
                              access_log_class=JsonAccessLogger))
    finally:
        telemetry.shutdown()


if __name__ == "__main__":
    main()
