"""User hashes: what an SRE can and cannot do with the `user_hash` log field."""

import hashlib
import hmac

from babyshield_chat.telemetry.pseudonyms import user_hash

KEY = "test-log-hash-key-0123456789"


def test_user_hash_is_the_truncated_hmac_sha256_an_sre_can_recompute_with_the_key():
    expected = hmac.new(KEY.encode(), b"user-1", hashlib.sha256).hexdigest()[:16]

    assert user_hash("user-1", KEY) == expected
    assert user_hash("user-1", KEY.encode()) == expected


def test_the_same_user_hashes_differently_under_another_key():
    assert user_hash("user-1", KEY) != user_hash("user-1", "another-key-0123456789")


def test_distinct_users_get_distinct_hashes():
    assert user_hash("user-1", KEY) != user_hash("user-2", KEY)


def test_without_a_key_the_hash_is_stable_in_the_process_but_not_a_plain_digest():
    first = user_hash("user-1", None)

    assert first == user_hash("user-1", None)
    assert first not in hashlib.sha256(b"user-1").hexdigest()
    assert first != user_hash("user-1", KEY)


def test_an_anonymous_request_has_no_hash():
    assert user_hash(None, KEY) is None
