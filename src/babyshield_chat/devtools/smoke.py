"""`babyshield-chat smoke --url URL`: the checklist's "End-to-End: test all intents" against a running deployment.

    babyshield-chat smoke --url http://127.0.0.1:8080                  # scripts/serve (dev identity)
    babyshield-chat smoke --url https://chat.example --token JWT \\
        --blocked-token JWT2 --admin-token "$BS_ADMIN_TOKEN"            # a JWT deployment

It asks, through the public API only: the flags endpoint for the smoke user;
one question per intent of spec step 3; an emergency; the explain endpoint;
a blocked user; and, with `--admin-token`, the admin flag and rollout views
(read-only: the smoke test never changes the flag). Every answer must carry
`X-Trace-Id` (32 lowercase hex, equal to the body's `trace_id`); each row of
the printed table shows it, so a failure can be looked up in the logs at once.

What passes: a question answered 200 with the intent it was written for, a
summary, every tool run without error and no fallback writer (a fallback
means the LLM path is failing); the emergency answered with a red
`emergency`; the blocked user refused 403 `chat_disabled` before its body is
even read (it sends an invalid body: a 400 would mean the gate ran too late).

The smoke user is `--token`'s subject, else the dev identity `--user-id`
(`X-User-Id`, for `BS_AUTH_MODE=dev`); chat must be on for it (allowlist it
in a canary). The blocked user is `--blocked-token` or `--blocked-user`;
without either, in dev identity, it is derived from the bucketing rule of
spec section 3: below 100% the first `smoke-blocked-N` whose bucket is
outside the rollout, at 100% `smoke-blocked`, which `scripts/serve` puts on
the denylist (only the denylist blocks anyone at 100%).

Exit status: 0 every check passed; 1 a check failed or the service could not
be reached (one line says which); 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import sys
import time
from typing import Any, TextIO

import aiohttp

from babyshield_chat.flags.evaluation import BUCKETS, bucket
from babyshield_chat.vocabulary import EMERGENCY_INTENT, EXPLAIN_INTENT, RuleIntent

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
DEFAULT_BLOCKED_USER = "smoke-blocked"
TRACE_ID = re.compile(r"^[0-9a-f]{32}$")

CRIB = {"name": "Drop-side crib", "brand": "Acme", "category": "Cribs", "age_min_months": 0}
FORMULA = {"name": "Infant formula", "category": "Formula", "ingredients": ["whey protein", "lactose", "soy oil"]}
LOTION = {"name": "Baby lotion", "category": "Skin care", "ingredients": ["water", "glycerin", "sodium benzoate"]}
TOY = {"name": "Stacking rings", "category": "Toys", "age_min_months": 12}
# One question per intent the rules classify (spec section 4, step 3), each with a product it fits.
INTENT_QUESTIONS: dict[RuleIntent, tuple[str, dict[str, Any] | None]] = {
    "recall_details": ("Has this been recalled?", CRIB),
    "pregnancy_risk": ("Is this safe while pregnant?", LOTION),
    "allergy_question": ("My son is allergic to milk, is this formula OK?", FORMULA),
    "ingredient_info": ("What are the ingredients?", LOTION),
    "age_appropriateness": ("Is this OK for my 6 month old?", TOY),
    "alternative_products": ("Can you suggest a safer alternative?", CRIB),
    "unclear_intent": ("Hello there", None),
}
EMERGENCY = "My baby swallowed a battery"


class Unreachable(Exception):
    """The service did not answer at all (wrong URL, nothing listening, DNS, TLS)."""


@dataclasses.dataclass
class Check:
    name: str
    passed: bool = False
    status: int | None = None
    trace_id: str = ""
    ms: int | None = None
    note: str = ""

    def fail(self, problem: str) -> Check:
        self.passed = False
        self.note = problem if not self.note else f"{problem}; {self.note}"
        return self


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    trace_header: str | None
    ms: int


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    url = args.url.rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        print(f"babyshield-chat smoke: --url must be an http:// or https:// address, got {args.url!r}", file=sys.stderr)
        return EXIT_USAGE
    if not args.timeout > 0:
        print(f"babyshield-chat smoke: --timeout must be above 0 seconds, got {args.timeout!r}", file=sys.stderr)
        return EXIT_USAGE
    try:
        checks = asyncio.run(_run(url, args))
    except Unreachable as exc:
        print(f"smoke: FAILED: cannot reach {url}: {exc}", file=out)
        return EXIT_FAILED
    out.write(render(checks))
    failed = [c for c in checks if not c.passed]
    if failed:
        print(f"smoke: FAILED {len(failed)} of {len(checks)} checks: {', '.join(c.name for c in failed)} "
              "(the NOTE column says why)", file=out)
        return EXIT_FAILED
    print(f"smoke: all {len(checks)} checks passed against {url}", file=out)
    return EXIT_OK


async def _run(url: str, args: argparse.Namespace) -> list[Check]:
    user = {"Authorization": f"Bearer {args.token}"} if args.token else {"X-User-Id": args.user_id}
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async def send(method: str, path: str, headers: dict[str, str], body: Any = None) -> Reply:
            return await _send(session, method, url, path, headers, body)

        checks = []
        flags_check, flags = _flags_check(await send("GET", "/api/v1/chat/flags", user))
        checks.append(flags_check)
        for intent, (question, product) in INTENT_QUESTIONS.items():
            reply = await send("POST", "/api/v1/chat/conversation", user,
                               {"message": question, "product": product, "locale": "en-US"})
            checks.append(_answer_check(intent, reply, intent))
        reply = await send("POST", "/api/v1/chat/conversation", user, {"message": EMERGENCY, "locale": "en-US"})
        checks.append(_emergency_check(reply))
        reply = await send("POST", "/api/v1/chat/explain", user, {"product": FORMULA, "locale": "en-US"})
        checks.append(_answer_check("explain", reply, EXPLAIN_INTENT))
        checks.append(await _blocked_check(send, args, flags))
        if args.admin_token:
            admin = {"Authorization": f"Bearer {args.admin_token}"}
            checks.append(_admin_flag_check(await send("GET", "/api/v1/admin/flags/chat", admin)))
            checks.append(_rollout_check(await send("GET", "/api/v1/admin/rollout", admin)))
        return checks


async def _send(session: aiohttp.ClientSession, method: str, url: str, path: str, headers: dict[str, str],
                body: Any) -> Reply:
    started = time.perf_counter()
    try:
        async with session.request(method, url + path, headers=headers, json=body) as response:
            try:
                data = await response.json(content_type=None)
            except ValueError:
                data = None
            return Reply(response.status, data, response.headers.get("X-Trace-Id"),
                         round((time.perf_counter() - started) * 1000))
    except TimeoutError:
        raise Unreachable(f"{method} {path}: no answer within the timeout") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise Unreachable(f"{method} {path}: {exc or type(exc).__name__}") from None


def _base(name: str, reply: Reply, expected_status: int) -> Check:
    """Status and trace id, checked for every row."""
    check = Check(name, True, reply.status, reply.trace_header or "", reply.ms)
    body_trace = reply.body.get("trace_id") if isinstance(reply.body, dict) else None
    if not reply.trace_header:
        check.fail("no X-Trace-Id header")
    elif not TRACE_ID.match(reply.trace_header):
        check.fail(f"X-Trace-Id {reply.trace_header!r} is not 32 lowercase hex")
    elif body_trace not in (None, reply.trace_header):
        check.fail(f"body trace_id {body_trace} differs from X-Trace-Id")
    if reply.status != expected_status:
        check.fail(f"expected HTTP {expected_status}, got {reply.status}{_error(reply)}")
    elif not isinstance(reply.body, dict):
        check.fail("the answer is not a JSON object: is this the chat service?")
    return check


def _error(reply: Reply) -> str:
    error = reply.body.get("error") if isinstance(reply.body, dict) else None
    if isinstance(error, dict):
        return f" {error.get('code')}: {error.get('message')}"
    return ""


def _flags_check(reply: Reply) -> tuple[Check, dict[str, Any]]:
    check = _base("flags", reply, 200)
    flags = reply.body if reply.status == 200 and isinstance(reply.body, dict) else {}
    if flags:
        check.note = (f"global {'on' if flags.get('chat_enabled_global') else 'off'}, "
                      f"rollout {flags.get('chat_rollout_pct')}, source {flags.get('source')}")
        if not flags.get("chat_enabled_for_user"):
            check.fail(f"chat is off for the smoke user ({flags.get('reason')})")
    return check, flags


def _answer_check(name: str, reply: Reply, intent: str) -> Check:
    check = _base(name, reply, 200)
    if reply.status != 200 or not isinstance(reply.body, dict):
        return check
    body = reply.body
    check.note = f"intent {body.get('intent')}, {body.get('synthesizer')}"
    if body.get("intent") != intent:
        check.fail(f"expected intent {intent}, got {body.get('intent')}")
    if not (body.get("answer") or {}).get("summary"):
        check.fail("the answer has no summary")
    broken = [t.get("name") for t in body.get("tools") or [] if not t.get("ok")]
    if broken:
        check.fail(f"tools failed: {', '.join(map(str, broken))}")
    if body.get("synthesizer") == "fallback":
        check.fail(f"answered by the fallback writer ({body.get('fallback_reason')})")
    return check


def _emergency_check(reply: Reply) -> Check:
    check = _base("emergency", reply, 200)
    if reply.status != 200 or not isinstance(reply.body, dict):
        return check
    emergency = (reply.body.get("answer") or {}).get("emergency")
    if reply.body.get("intent") != EMERGENCY_INTENT or not isinstance(emergency, dict):
        return check.fail(f"not answered as an emergency (intent {reply.body.get('intent')})")
    check.note = f"level {emergency.get('level')}: {emergency.get('call_to_action')}"
    if emergency.get("level") != "red":
        check.fail(f"expected level red, got {emergency.get('level')}")
    return check


def blocked_user_id(rollout_pct: float) -> str:
    """A dev identity the rollout excludes (spec section 3's bucket), or the denylisted one at 100%."""
    threshold = round(rollout_pct * BUCKETS)
    if threshold >= BUCKETS:
        return DEFAULT_BLOCKED_USER
    return next(f"{DEFAULT_BLOCKED_USER}-{n}" for n in range(10_000) if bucket(f"{DEFAULT_BLOCKED_USER}-{n}") >= threshold)


async def _blocked_check(send, args: argparse.Namespace, flags: dict[str, Any]) -> Check:
    if args.blocked_token:
        who, headers = "--blocked-token", {"Authorization": f"Bearer {args.blocked_token}"}
    elif args.blocked_user or not args.token:
        pct = flags.get("chat_rollout_pct")
        user = args.blocked_user or blocked_user_id(pct if isinstance(pct, (int, float)) else 1.0)
        who, headers = user, {"X-User-Id": user}
    else:
        return Check("blocked user", note="pass --blocked-token (a JWT of a user outside the rollout or denylisted)")
    # An invalid body on purpose: the gate must refuse before the body is read (a 400 would mean it did not).
    reply = await send("POST", "/api/v1/chat/conversation", headers, {})
    check = _base("blocked user", reply, 403)
    code = reply.body.get("error", {}).get("code") if isinstance(reply.body, dict) else None
    if reply.status == 403 and code != "chat_disabled":
        check.fail(f"expected chat_disabled, got {code}")
    if reply.status == 200 or reply.status == 400:
        check.fail(f"{who} was not blocked: at 100% only BS_FEATURE_CHAT_DENYLIST blocks; "
                   "denylist it or pass --blocked-user/--blocked-token")
    if check.passed:
        check.note = f"{who}: {reply.body['error']['message']}"
    return check


def _admin_flag_check(reply: Reply) -> Check:
    check = _base("admin flag", reply, 200)
    effective = reply.body.get("effective") if check.passed else None
    if isinstance(effective, dict):
        check.note = (f"{'on' if effective.get('enabled') else 'off'} {effective.get('rollout_pct')} "
                      f"from {effective.get('source')}{', STALE' if reply.body.get('stale') else ''}")
    return check


def _rollout_check(reply: Reply) -> Check:
    check = _base("rollout guard", reply, 200)
    verdict = reply.body.get("verdict") if check.passed else None
    if isinstance(verdict, dict):
        check.note = f"phase {reply.body.get('phase')}, the guard would {verdict.get('action')}"
    return check


def render(checks: list[Check]) -> str:
    rows = [("CHECK", "RESULT", "HTTP", "MS", "TRACE ID", "NOTE")]
    for c in checks:
        rows.append((c.name, "PASS" if c.passed else "FAIL", str(c.status or "-"),
                     str(c.ms) if c.ms is not None else "-", c.trace_id or "-", c.note))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join([*(cell.ljust(width) for cell, width in zip(row, widths)), row[-1]]).rstrip() for row in rows]
    return "\n".join(lines) + "\n"
