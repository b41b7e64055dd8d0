"""Sending the cases through the real HTTP API and judging each answer.

`run_suite(cases, base_url, facts)` sends every case as a parent would: each
case is its own dev-identity user (`X-User-Id: bench-answers-<case id>`), so a
profile PUT for one case never leaks into another; the profile goes in first
when the case has one, then the message (or the explain request). Cases run
one at a time by default: the answers, not the speed, are under test, and a
loaded machine must not turn a tool timeout into a wrong verdict.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

from bench.answers.cases import Case, ProfileSpec
from bench.answers.judge import Failure, Reply, RunFacts, first_sentence, judge, summary_of

CONVERSATION_PATH = "/api/v1/chat/conversation"
EXPLAIN_PATH = "/api/v1/chat/explain"
PROFILE_PATH = "/api/v1/chat/profile"
USER_PREFIX = "bench-answers-"
#: A client-side bound well above the service's own total budget (2.5 s).
REQUEST_TIMEOUT_SEC = 15.0
#: Days added to a profile age in months, so "3 months" is 3 whole months on any day of the month.
AGE_MARGIN_DAYS = 5


@dataclasses.dataclass(frozen=True)
class CaseResult:
    case: Case
    reply: Reply
    failures: list[Failure]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def summary(self) -> str:
        return summary_of(self.reply)

    @property
    def first_sentence(self) -> str:
        return first_sentence(self.summary)

    def as_json(self) -> dict[str, Any]:
        body = self.reply.body
        return {
            "id": self.case.id,
            "category": self.case.category,
            "passed": self.passed,
            "failures": [{"kind": f.kind, "message": f.message} for f in self.failures],
            "first_sentence": self.first_sentence,
            "summary": self.summary,
            "intent": body.get("intent"),
            "synthesizer": body.get("synthesizer"),
            "fallback_reason": body.get("fallback_reason"),
            "status": self.reply.status,
            "latency_ms": self.reply.latency_ms,
            "reason": self.case.reason,
        }


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):  # the 31st of a shorter month: its last day
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def birthdate_for(profile: ProfileSpec, today: dt.date) -> dt.date | None:
    """The birthdate that makes the child the profile's age today."""
    if profile.child_age_weeks is not None:
        return today - dt.timedelta(weeks=profile.child_age_weeks)
    if profile.child_age_months is not None:
        return _months_before(today, profile.child_age_months) - dt.timedelta(days=AGE_MARGIN_DAYS)
    return None


def profile_body(profile: ProfileSpec, today: dt.date) -> dict[str, Any]:
    """The full PUT body (PUT replaces the whole profile and needs every field)."""
    birthdate = birthdate_for(profile, today)
    return {
        "consent_memory": profile.consent_memory,
        "allergies": list(profile.allergies),
        "pregnancy_trimester": profile.pregnancy_trimester,
        "child_birthdate": birthdate.isoformat() if birthdate else None,
    }


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        body = await response.json(content_type=None)
    except (aiohttp.ContentTypeError, ValueError):
        return {"error": {"code": "not_json", "message": (await response.text())[:200]}}
    return body if isinstance(body, dict) else {"error": {"code": "not_an_object", "message": str(body)[:200]}}


async def send_case(session: aiohttp.ClientSession, base_url: str, case: Case, today: dt.date) -> Reply:
    """The profile PUT (if any), then the question; the reply to the question."""
    headers = {"X-User-Id": USER_PREFIX + case.id}
    request = case.request
    if request.profile is not None:
        async with session.put(base_url + PROFILE_PATH, json=profile_body(request.profile, today),
                               headers=headers) as response:
            if response.status != 200:
                body = await _json(response)
                error = body.get("error") or {}
                return Reply(response.status, {"error": {**error, "message": f"profile PUT: {error.get('message')}"}})
    if request.endpoint == "explain":
        path, payload = EXPLAIN_PATH, {"product": request.product, "locale": request.locale}
    else:
        path = CONVERSATION_PATH
        payload = {"message": request.message, "product": request.product, "locale": request.locale}
    started = time.perf_counter()
    async with session.post(base_url + path, json=payload, headers=headers) as response:
        body = await _json(response)
        return Reply(response.status, body, latency_ms=int((time.perf_counter() - started) * 1000))


async def run_suite(cases: Sequence[Case], base_url: str, facts: RunFacts, *, concurrency: int = 1) -> list[CaseResult]:
    """Every case sent and judged, in the order given."""
    limit = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SEC)

    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(case: Case) -> CaseResult:
            async with limit:
                try:
                    reply = await send_case(session, base_url, case, facts.checked_on)
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    reply = Reply(0, {"error": {"code": "no_response", "message": f"{type(exc).__name__}: {exc}"}})
            return CaseResult(case, reply, judge(case, reply, facts))

        return list(await asyncio.gather(*(one(case) for case in cases)))
