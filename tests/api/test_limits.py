"""The per-user token bucket, alone and over HTTP (429 `rate_limited` with Retry-After, counted as `rejected`)."""

import pytest

from babyshield_chat.api.limits import RateLimiter
from babyshield_chat.telemetry.testing import metric_points

DEV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1"}
# An emergency needs no database, no tools and no LLM: the cheapest message that is answered 200.
EMERGENCY = {"message": "My baby swallowed a button battery!"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_up_to_the_rate_is_allowed_then_refused_with_the_wait():
    clock = Clock()
    limiter = RateLimiter(20, clock=clock)
    assert all(limiter.acquire("u") == 0 for _ in range(20))
    wait = limiter.acquire("u")
    assert wait == pytest.approx(3.0)  # one token every 60/20 s
    assert RateLimiter.retry_after_header(wait) == "3"


def test_tokens_refill_over_time():
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    for _ in range(60):
        limiter.acquire("u")
    assert limiter.acquire("u") > 0
    clock.now += 1.0
    assert limiter.acquire("u") == 0


def test_users_do_not_share_a_bucket():
    limiter = RateLimiter(1, clock=Clock())
    assert limiter.acquire("a") == 0
    assert limiter.acquire("b") == 0
    assert limiter.acquire("a") > 0


def test_the_table_of_users_stays_bounded():
    limiter = RateLimiter(1, max_users=3, clock=Clock())
    for user in "abcdef":
        limiter.acquire(user)
    assert len(limiter._buckets) == 3


def test_a_non_positive_rate_is_refused():
    with pytest.raises(ValueError, match="0"):
        RateLimiter(0)


@pytest.mark.parametrize("path", ["/api/v1/chat/conversation", "/api/v1/chat/explain"])
async def test_past_the_per_user_rate_messages_are_429_with_retry_after_and_counted_as_rejected(apps, path):
    client = await apps.client({**DEV, "BS_CHAT_USER_RATE_PER_MIN": "3"})
    body = EMERGENCY if path.endswith("conversation") else {"product": {"name": "crib"}}
    statuses = [(await client.post(path, json=body, headers={"X-User-Id": "alice"})).status for _ in range(3)]
    assert statuses == [200] * 3
    limited = await client.post(path, json=body, headers={"X-User-Id": "alice"})
    assert limited.status == 429
    assert (await limited.json())["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) == 20  # one message every 60/3 s
    # Another parent is not held back by alice.
    assert (await client.post(path, json=body, headers={"X-User-Id": "bob"})).status == 200
    outcomes = {}
    for point in metric_points(apps.telemetry, "chat_requests_total"):
        outcomes[point.attributes["outcome"]] = outcomes.get(point.attributes["outcome"], 0) + point.value
    assert outcomes.get("rejected") == 1 and sum(outcomes.values()) == 5


async def test_the_rate_limit_applies_after_the_gate_so_blocked_users_spend_no_tokens(apps):
    client = await apps.client({**DEV, "BS_CHAT_USER_RATE_PER_MIN": "1", "BS_FEATURE_CHAT_DENYLIST": "mallory"})
    for _ in range(3):
        response = await client.post("/api/v1/chat/conversation", json=EMERGENCY, headers={"X-User-Id": "mallory"})
        assert response.status == 403 and (await response.json())["error"]["code"] == "chat_disabled"
