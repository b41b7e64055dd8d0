"""The per-user token bucket."""

import pytest

from babyshield_chat.api.limits import RateLimiter


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
