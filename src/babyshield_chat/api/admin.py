"""Admin endpoints: the runtime override of the chat flag, its audit trail, the rollout guard.

The rollout guard's `advance` and `rollback` are here too, for people who act
from the console rather than a shell: they build the same `RolloutGuard` as
`babyshield-chat rollout advance|rollback` from this instance's settings
(policy, thresholds, `BS_ROLLOUT_PROMETHEUS_URL`), so both take the same
decisions and write the same audit rows.

Every handler first calls `require_admin`: `Authorization: Bearer
$BS_ADMIN_TOKEN`, compared in constant time. Without a configured token the
endpoints are disabled, 403 `forbidden` for everyone: an unset secret must
never mean "open". Anything but the exact token is 403 `forbidden` too (spec
section 1), with a message that says which of the two happened but never
anything about the token.

The optional `X-Admin-Actor` header names the person behind the shared token
in the audit trail (`admin-api` when absent).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web
from pydantic import ValidationError

from babyshield_chat.api.context import DATABASE, FLAGS, SETTINGS
from babyshield_chat.db.pool import DatabaseUnavailable
from babyshield_chat.flags import overrides
from babyshield_chat.rollout.policy import PolicyError, load_policy
from babyshield_chat.rollout.prometheus import PrometheusClient
from babyshield_chat.rollout.runner import RolloutGuard, status_json, verdict_json
from babyshield_chat.flags.evaluation import FlagState
from babyshield_chat.flags.overrides import Change, OverrideConflict
from babyshield_chat.api.admin_models import (
    AdminFlagResponse,
    AdvanceResponse,
    AuditEntryBody,
    AuditResponse,
    ClearOverrideRequest,
    EnvFlagBody,
    FlagChangeResponse,
    FlagOverrideRequest,
    FlagStateBody,
    OverrideBody,
    RollbackResponse,
    RolloutActionRequest,
    RolloutResponse,
    VerdictBody,
)
from babyshield_chat.api.errors import ApiError
from babyshield_chat.api.responses import json_response, read_model, validation_error

DEFAULT_ACTOR = "admin-api"
# The database going away before or during a write: 503, never a 500.
_DATABASE_DOWN = (DatabaseUnavailable, OSError, TimeoutError, asyncpg.InterfaceError,
                  asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError)
ACTOR_HEADER = "X-Admin-Actor"
_ACTOR = re.compile(r"^[\w.@+\- ]{1,100}$")


def require_admin(request: web.Request) -> None:
    expected = request.app[SETTINGS].server.admin_token
    if not expected:
        raise ApiError(403, "forbidden", "Admin endpoints are disabled on this instance (BS_ADMIN_TOKEN is not set).")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Hashing first makes the comparison constant-time in the token's length too.
    if scheme.lower() != "bearer" or not hmac.compare_digest(_digest(given.strip()), _digest(expected)):
        raise ApiError(403, "forbidden", "Admin credentials are required (Authorization: Bearer <admin token>).")


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def actor_of(request: web.Request) -> str:
    raw = request.headers.get(ACTOR_HEADER, "").strip()
    if not raw:
        return DEFAULT_ACTOR
    if not _ACTOR.match(raw):
        raise ApiError(400, "invalid_request", f"{ACTOR_HEADER} must be 1-100 letters, digits, spaces or .@+-_, "
                       f"got {raw[:120]!r}.", details=[{"field": ACTOR_HEADER, "problem": "invalid characters or length"}])
    return raw


def _unreachable(action: str) -> ApiError:
    return ApiError(503, "not_ready", f"The database is not reachable; {action}.", headers={"Retry-After": "2"})


def state_body(state: FlagState) -> FlagStateBody:
    return FlagStateBody(enabled=state.enabled, rollout_pct=state.rollout_pct, source=state.source)


def _change_response(request: web.Request, change: Change) -> web.Response:
    body = FlagChangeResponse(old=state_body(change.old), new=state_body(change.new),
                              changed=change.changed, audit_id=change.audit_id)
    return json_response(request, body.model_dump(mode="json", exclude={"trace_id"}))


async def get_flag(request: web.Request) -> web.Response:
    """Answered from this instance's memory: it works, and says `stale`, while the database is down."""
    require_admin(request)
    status = request.app[FLAGS].status()
    env = request.app[SETTINGS].flags
    override = status.override
    body = AdminFlagResponse(
        effective=state_body(status.state),
        env=EnvFlagBody(enabled=env.enabled, rollout_pct=env.rollout_pct),
        override=OverrideBody(enabled=override.enabled, rollout_pct=override.rollout_pct,
                              updated_at=override.updated_at, updated_by=override.updated_by,
                              reason=override.reason) if override else None,
        stale=status.stale,
        last_sync=status.last_sync,
        listening=status.listening,
    )
    return json_response(request, body.model_dump(mode="json", exclude={"trace_id"}))


async def put_flag(request: web.Request) -> web.Response:
    require_admin(request)
    actor = actor_of(request)
    body = await read_model(request, FlagOverrideRequest)
    try:
        change = await request.app[FLAGS].set_override(
            enabled=body.enabled, rollout_pct=body.rollout_pct, actor=actor, reason=body.reason
        )
    except _DATABASE_DOWN:
        raise _unreachable("the override was not changed") from None
    return _change_response(request, change)


async def delete_flag(request: web.Request) -> web.Response:
    """The reason comes as a JSON body or as `?reason=` (the runbook's one-line curl); neither is a 400."""
    require_admin(request)
    actor = actor_of(request)
    if request.body_exists:
        body = await read_model(request, ClearOverrideRequest)
    elif "reason" in request.query:
        try:
            body = ClearOverrideRequest.model_validate({"reason": request.query["reason"]})
        except ValidationError as exc:
            raise validation_error(exc) from None
    else:
        raise ApiError(400, "invalid_request", "Say why: a JSON body {\"reason\": \"...\"} or ?reason=... "
                       "(it goes to the audit trail).", details=[{"field": "reason", "problem": "Field required"}])
    try:
        change = await request.app[FLAGS].clear_override(actor=actor, reason=body.reason)
    except _DATABASE_DOWN:
        raise _unreachable("the override was not removed") from None
    return _change_response(request, change)


async def get_audit(request: web.Request) -> web.Response:
    """Newest first; `?limit=N` (1..500, default 50)."""
    require_admin(request)
    limit = _limit(request.query.get("limit"))
    try:
        async with request.app[DATABASE].connection() as conn:
            entries = await overrides.list_audit(conn, limit=limit)
    except _DATABASE_DOWN:
        raise _unreachable("the audit trail cannot be read") from None
    body = AuditResponse(entries=[
        AuditEntryBody(id=e.id, at=e.at, actor=e.actor, action=e.action, old=e.old, new=e.new,
                       reason=e.reason, details=e.details)
        for e in entries
    ])
    return json_response(request, body.model_dump(mode="json", exclude={"trace_id"}))


async def get_rollout(request: web.Request) -> web.Response:
    """The guard's view, read-only: this endpoint never promotes or rolls back."""
    require_admin(request)
    async with _rollout_guard(request, "the rollout state cannot be read") as (guard, conn):
        status = await guard.status(conn)
    body = RolloutResponse.model_validate(status_json(status))
    return json_response(request, body.model_dump(mode="json", exclude={"trace_id"}))


async def post_rollout_advance(request: web.Request) -> web.Response:
    """`rollout advance` over HTTP: one guard evaluation, applied (promote, act on a trigger, or record the hold).

    The decision is the guard's own, from the same policy, thresholds and
    Prometheus as the CLI's; the person's reason is kept beside it.
    """
    require_admin(request)
    actor = actor_of(request)
    body = await read_model(request, RolloutActionRequest)
    async with _rollout_guard(request, "the guard did not run") as (guard, conn):
        decision = await guard.evaluate(conn)
        audit_id = None
        if not body.dry_run:
            try:
                audit_id = await guard.apply(conn, decision, actor=actor, request_reason=body.reason)
            except OverrideConflict as exc:
                raise ApiError(409, "flag_changed", f"{exc}.") from None
            await request.app[FLAGS].refresh(conn)
    verdict = VerdictBody.model_validate(verdict_json(decision))
    response = AdvanceResponse(verdict=verdict, summary=decision.summary, changes_flag=decision.changes_flag,
                               dry_run=body.dry_run, audit_id=audit_id)
    return json_response(request, response.model_dump(mode="json", exclude={"trace_id"}))


async def post_rollout_rollback(request: web.Request) -> web.Response:
    """`rollout rollback` over HTTP: back to the last percentage that soaked green, or half."""
    require_admin(request)
    actor = actor_of(request)
    body = await read_model(request, RolloutActionRequest)
    async with _rollout_guard(request, "nothing was rolled back") as (guard, conn):
        try:
            before, after, change = await guard.manual_rollback(conn, actor=actor, reason=body.reason,
                                                                dry_run=body.dry_run)
        except ValueError as exc:  # already at 0%
            raise ApiError(409, "nothing_to_roll_back", f"{str(exc).capitalize()}.") from None
        except OverrideConflict as exc:
            raise ApiError(409, "flag_changed", f"{exc}.") from None
        if not body.dry_run:
            await request.app[FLAGS].refresh(conn)
    response = RollbackResponse(from_pct=before, to_pct=after, dry_run=body.dry_run,
                                audit_id=change.audit_id if change is not None else None)
    return json_response(request, response.model_dump(mode="json", exclude={"trace_id"}))


@contextlib.asynccontextmanager
async def _rollout_guard(request: web.Request, failed: str) -> AsyncIterator[tuple[RolloutGuard, asyncpg.Connection]]:
    """The guard the CLI would build from this instance's settings, and a database connection for it."""
    settings = request.app[SETTINGS]
    try:
        policy = load_policy(settings.rollout.policy_file)
    except PolicyError as exc:
        raise ApiError(503, "not_ready", f"The rollout policy cannot be used: {exc}.") from None
    url = settings.rollout.prometheus_url
    async with PrometheusClient(url) if url else _no_prometheus() as prometheus:
        guard = RolloutGuard(policy, settings.flags, prometheus, environment=settings.env)
        try:
            async with request.app[DATABASE].connection() as conn:
                yield guard, conn
        except _DATABASE_DOWN:
            raise _unreachable(failed) from None


@contextlib.asynccontextmanager
async def _no_prometheus() -> AsyncIterator[None]:
    yield None


def _limit(raw: str | None) -> int:
    if raw is None:
        return overrides.DEFAULT_AUDIT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= overrides.MAX_AUDIT_LIMIT:
        raise ApiError(400, "invalid_request",
                       f"limit must be a whole number from 1 to {overrides.MAX_AUDIT_LIMIT}, got {raw!r}.",
                       details=[{"field": "limit", "problem": f"expected 1..{overrides.MAX_AUDIT_LIMIT}"}])
    return value
