"""`babyshield-chat rollout ...`: the rollout guard and the runtime override from a shell.

Verbs (spec section 7):

- `status`  phase, soak left, every gate with value, thresholds and state,
            the guard's verdict and the last decisions (`--json` for tools);
- `set PCT` set the rollout fraction (`0.25` or `25%`);
- `enable` / `disable`  the kill switch;
- `advance` one guard evaluation, applied: promote when allowed, act on a
            rollback trigger, otherwise record the hold;
- `rollback` a person's step back (last stable percentage, or half);
- `watch`   `advance` every `--interval` seconds until SIGINT/SIGTERM (exit 0).

Every verb takes `--database-url` (default `BS_DATABASE_URL`),
`--prometheus-url` (default `BS_ROLLOUT_PROMETHEUS_URL`), `--policy FILE`
(default `BS_ROLLOUT_POLICY`, else the packaged policy) and `--dry-run`
(print what would happen, write nothing). Changes are audited under
`--actor` (default: the login name) with `--reason`, required for the verbs
a person runs.

Exit status: 0 done; 1 the database or Prometheus failed; 2 bad usage or
configuration; 3 `advance` held (nothing changed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import signal
import sys
from collections.abc import AsyncIterator
from typing import TextIO

import asyncpg

from babyshield_chat.alerting.thresholds import ThresholdsError
from babyshield_chat.config import Settings, parse_fraction
from babyshield_chat.flags import overrides
from babyshield_chat.flags.overrides import OverrideConflict
from babyshield_chat.rollout.policy import PolicyError, load_policy
from babyshield_chat.rollout.prometheus import PrometheusClient
from babyshield_chat.rollout.report import render_decision, render_status
from babyshield_chat.rollout.runner import DEFAULT_ACTOR, RolloutGuard, status_json

DEFAULT_WATCH_INTERVAL_SEC = 60.0
DEFAULT_CONNECT_TIMEOUT_SEC = 5.0
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_HELD = 3


class UsageError(ValueError):
    """A bad option value; the message quotes it."""


def add_parser(verbs: argparse._SubParsersAction) -> None:
    """Register `rollout` and its verbs on the top-level command line."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="PostgreSQL URL (default: BS_DATABASE_URL)")
    common.add_argument("--prometheus-url", help="Prometheus base URL (default: BS_ROLLOUT_PROMETHEUS_URL)")
    common.add_argument("--policy", metavar="FILE", help="rollout policy YAML (default: BS_ROLLOUT_POLICY or packaged)")
    common.add_argument("--dry-run", action="store_true", help="print what would happen; change nothing")
    common.add_argument("--actor", help="who, for the audit trail (default: your login name)")
    rollout = verbs.add_parser("rollout", help="the canary rollout: status, guard, kill switch")
    sub = rollout.add_subparsers(dest="rollout_verb", required=True)
    status = sub.add_parser("status", parents=[common], help="phase, soak, gates and last decisions")
    status.add_argument("--json", action="store_true", help="print the state as JSON")
    set_ = sub.add_parser("set", parents=[common], help="set the rollout fraction")
    set_.add_argument("pct", metavar="PCT", help="fraction (0.25) or percentage (25%%)")
    for name, text in (("set", None), ("enable", "turn the chat on"), ("disable", "kill switch: turn the chat off"),
                       ("rollback", "step back to the last stable percentage, or half")):
        parser = set_ if name == "set" else sub.add_parser(name, parents=[common], help=text)
        parser.add_argument("--reason", required=True, help="why, for the audit trail")
    sub.add_parser("advance", parents=[common], help="evaluate the guard once and apply its decision")
    watch = sub.add_parser("watch", parents=[common], help="run the guard until SIGINT/SIGTERM")
    watch.add_argument("--interval", type=float, default=DEFAULT_WATCH_INTERVAL_SEC, help="seconds between checks")


def run(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    try:
        return asyncio.run(_run(args, settings, out))
    except (UsageError, PolicyError, ThresholdsError) as exc:
        print(f"babyshield-chat rollout: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        print(f"babyshield-chat rollout: the database failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except OverrideConflict as exc:
        print(f"babyshield-chat rollout: {exc}", file=sys.stderr)
        return EXIT_FAILURE


async def _run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    verb = args.rollout_verb
    if verb == "watch" and not args.interval > 0:
        raise UsageError(f"--interval must be a number of seconds above 0, got {args.interval!r}")
    pct = _fraction(args.pct) if verb == "set" else None
    database_url = args.database_url or settings.database.url
    if not database_url:
        raise UsageError("no database: pass --database-url or set BS_DATABASE_URL")
    prometheus_url = args.prometheus_url or settings.rollout.prometheus_url
    policy = load_policy(args.policy or settings.rollout.policy_file)
    actor = args.actor or _login()
    try:
        client = PrometheusClient(prometheus_url) if prometheus_url else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    async with contextlib.AsyncExitStack() as stack:
        prometheus = await stack.enter_async_context(client) if client is not None else None
        guard = RolloutGuard(policy, settings.flags, prometheus, environment=settings.env)
        conn = await stack.enter_async_context(_connect(database_url))
        if verb == "status":
            status = await guard.status(conn)
            out.write(json.dumps(status_json(status), indent=2) + "\n" if args.json else render_status(status))
            return EXIT_OK
        if verb in ("set", "enable", "disable"):
            enabled = {"enable": True, "disable": False}.get(verb)
            return await _set(conn, settings, out, enabled=enabled, pct=pct, actor=actor, reason=args.reason,
                              dry_run=args.dry_run)
        if verb == "rollback":
            try:
                before, after, _ = await guard.manual_rollback(conn, actor=actor, reason=args.reason,
                                                               dry_run=args.dry_run)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            out.write(f"{'[dry run] would roll' if args.dry_run else 'rolled'} back "
                      f"{before * 100:g}% → {after * 100:g}%\n")
            return EXIT_OK
        if verb == "advance":
            decision = await guard.evaluate(conn)
            out.write(render_decision(decision, dry_run=args.dry_run) + "\n")
            if not args.dry_run:
                await guard.apply(conn, decision, actor=args.actor or DEFAULT_ACTOR)
            return EXIT_OK if decision.changes_flag else EXIT_HELD
        return await _watch(guard, database_url, conn, args, out)


async def _set(conn: asyncpg.Connection, settings: Settings, out: TextIO, *, enabled: bool | None,
               pct: float | None, actor: str, reason: str, dry_run: bool) -> int:
    what = ", ".join(part for part in (
        f"enabled={str(enabled).lower()}" if enabled is not None else "",
        f"rollout_pct={pct:g}" if pct is not None else "") if part)
    if dry_run:
        current = overrides.effective_state(settings.flags, await overrides.read_override(conn))
        out.write(f"[dry run] would set {what} (now enabled={str(current.enabled).lower()} "
                  f"rollout_pct={current.rollout_pct:g})\n")
        return EXIT_OK
    change = await overrides.set_override(conn, settings.flags, enabled=enabled, rollout_pct=pct,
                                          actor=actor, reason=reason)
    out.write(f"set {what}: enabled {str(change.old.enabled).lower()} → {str(change.new.enabled).lower()}, "
              f"rollout {change.old.rollout_pct * 100:g}% → {change.new.rollout_pct * 100:g}% "
              f"(audit #{change.audit_id})\n")
    return EXIT_OK


async def _watch(guard: RolloutGuard, database_url: str, conn: asyncpg.Connection, args: argparse.Namespace,
                 out: TextIO) -> int:
    """Evaluate and apply every `--interval` s; survive outages; exit 0 on SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    actor = args.actor or DEFAULT_ACTOR
    try:
        while not stop.is_set():
            try:
                if conn.is_closed():
                    conn = await asyncpg.connect(database_url, timeout=DEFAULT_CONNECT_TIMEOUT_SEC)
                decision = await guard.evaluate(conn)
                stamp = guard.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
                out.write(f"{stamp} {render_decision(decision, dry_run=args.dry_run)}\n")
                if not args.dry_run:
                    await guard.apply(conn, decision, actor=actor)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError, OverrideConflict) as exc:
                # One bad round must not end the watch: the next one decides afresh.
                out.write(f"{guard.clock().strftime('%Y-%m-%dT%H:%M:%SZ')} error: {type(exc).__name__}: {exc}\n")
            out.flush()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.interval)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        with contextlib.suppress(Exception):
            await conn.close()
    out.write("watch stopped\n")
    return EXIT_OK


@contextlib.asynccontextmanager
async def _connect(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(url, timeout=DEFAULT_CONNECT_TIMEOUT_SEC)
    try:
        yield conn
    finally:
        if not conn.is_closed():
            await conn.close()


def _fraction(raw: str) -> float:
    try:
        return parse_fraction(raw)
    except ValueError as exc:
        raise UsageError(f"PCT {raw!r} is invalid: {exc}") from None


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"
