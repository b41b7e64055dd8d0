"""Per-user limits, alone and over HTTP: the token buckets of every user endpoint and the in-flight cap
(429 `rate_limited` with Retry-After, counted as `rejected`)."""

import asyncio

import pytest

from babyshield_chat.api.limits import RateLimiter
from babyshield_chat.devtools.fake_llm.modes import FakeMode
from babyshield_chat.devtools.fake_llm.server import FakeLlmServer
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


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/v1/chat/profile", None),
    ("PATCH", "/api/v1/chat/profile", {"consent_memory": False}),
    ("POST", "/api/v1/chat/erase", None),
    ("GET", "/api/v1/chat/conversations/00000000-0000-4000-8000-000000000000", None),
])
async def test_profile_erase_and_history_are_rate_limited_per_user_too(apps, database_url, method, path, body):
    client = await apps.client({**DEV, "BS_CHAT_USER_RATE_PER_MIN": "3"}, database_url=database_url)
    statuses = [(await client.request(method, path, json=body, headers={"X-User-Id": "alice"})).status
                for _ in range(4)]
    assert statuses[3] == 429 and 429 not in statuses[:3]
    assert (await client.request(method, path, json=body, headers={"X-User-Id": "bob"})).status != 429
    # Reading history never costs a chat message: alice may still ask.
    assert (await client.post("/api/v1/chat/conversation", json=EMERGENCY, headers={"X-User-Id": "alice"})).status == 200


async def test_one_user_holds_at_most_their_in_flight_slots_and_others_are_answered(apps):
    async with FakeLlmServer(FakeMode().updated({"fault": "hang"})) as fake:
        client = await apps.client({**DEV, "BS_CHAT_USER_MAX_INFLIGHT": "4", "BS_CHAT_USER_RATE_PER_MIN": "1000",
                                    "BS_LLM_BASE_URL": fake.base_url, "BS_LLM_API_KEY": "k"})
        slow = [asyncio.create_task(client.post("/api/v1/chat/conversation", json={"message": "Is this recalled?"},
                                                headers={"X-User-Id": "hog"})) for _ in range(4)]
        await asyncio.sleep(0.3)  # the four are waiting on the hanging LLM
        fifth = await client.post("/api/v1/chat/conversation", json={"message": "Is it?"}, headers={"X-User-Id": "hog"})
        assert fifth.status == 429 and (await fifth.json())["error"]["code"] == "rate_limited"
        other = await client.post("/api/v1/chat/conversation", json=EMERGENCY, headers={"X-User-Id": "parent"})
        assert other.status == 200 and (await other.json())["answer"]["emergency"]
        assert [r.status for r in await asyncio.gather(*slow)] == [200] * 4  # fallbacks at the deadline
