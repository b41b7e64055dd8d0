"""Identity over HTTP: JWTs (HS256, RS256, ES256), audience/issuer/expiry, dev mode."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

SECRET = "test-secret-at-least-32-bytes-long!!"
FLAGS_ON = {"BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1"}
FLAGS = "/api/v1/chat/flags"
CHAT = "/api/v1/chat/conversation"


def token(key=SECRET, alg="HS256", **claims):
    body = {"sub": "user-2", "exp": int(time.time()) + 600, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=alg)


def bearer(value):
    return {"Authorization": f"Bearer {value}"}


async def error_code(response):
    return (response.status, (await response.json())["error"]["code"])


async def test_chat_without_credentials_is_auth_required(apps):
    client = await apps.client({**FLAGS_ON, "BS_AUTH_JWT_SECRET": SECRET})
    assert await error_code(await client.post(CHAT, json={"message": "hi"})) == (401, "auth_required")


async def test_valid_hs256_token_identifies_the_subject(apps):
    client = await apps.client({"BS_AUTH_JWT_SECRET": SECRET, "BS_FEATURE_CHAT_ENABLED": "true",
                                "BS_FEATURE_CHAT_ROLLOUT_PCT": "0.10"})
    body = await (await client.get(FLAGS, headers=bearer(token()))).json()
    assert body["reason"] == "rollout_included"  # user-2 is in bucket 7113


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"aud": "someone-else"}, "audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"sub": None}, "'sub'"),
        ({"exp": None}, "'exp'"),
    ],
)
async def test_bad_claims_are_invalid_token(apps, claims, problem):
    client = await apps.client({**FLAGS_ON, "BS_AUTH_JWT_SECRET": SECRET, "BS_AUTH_JWT_AUDIENCE": "babyshield",
                                "BS_AUTH_JWT_ISSUER": "https://auth.babyshield.test"})
    good = {"aud": "babyshield", "iss": "https://auth.babyshield.test"}
    response = await client.post(CHAT, json={"message": "hi"}, headers=bearer(token(**{**good, **claims})))
    assert await error_code(response) == (401, "invalid_token")
    assert problem in (await response.json())["error"]["message"]


async def test_wrong_signature_is_invalid_token(apps):
    client = await apps.client({**FLAGS_ON, "BS_AUTH_JWT_SECRET": SECRET})
    forged = token(key="another-secret-of-sufficient-length!!")
    assert await error_code(await client.post(CHAT, json={"message": "hi"}, headers=bearer(forged))) == (401, "invalid_token")


async def test_alg_none_is_refused(apps):
    client = await apps.client({**FLAGS_ON, "BS_AUTH_JWT_SECRET": SECRET})
    unsigned = jwt.encode({"sub": "user-2", "exp": int(time.time()) + 60}, None, algorithm="none")
    assert await error_code(await client.post(CHAT, json={"message": "hi"}, headers=bearer(unsigned))) == (401, "invalid_token")


async def test_a_bad_token_on_the_optional_flags_endpoint_is_an_error_not_anonymous(apps):
    client = await apps.client({**FLAGS_ON, "BS_AUTH_JWT_SECRET": SECRET})
    assert await error_code(await client.get(FLAGS, headers=bearer("garbage"))) == (401, "invalid_token")


def _pem(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.mark.parametrize(
    ("make_key", "alg"),
    [(lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
     (lambda: ec.generate_private_key(ec.SECP256R1()), "ES256")],
)
async def test_public_key_tokens_are_verified(apps, make_key, alg):
    key = make_key()
    client = await apps.client({**FLAGS_ON, "BS_AUTH_JWT_PUBLIC_KEY": _pem(key)})
    ok = await client.get(FLAGS, headers=bearer(token(key=key, alg=alg)))
    assert (await ok.json())["reason"] == "rollout_included"
    # An HS256 token signed with the public key text must not pass (algorithm confusion).
    confused = jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, "not-the-key-but-long-enough-32b!!", algorithm="HS256")
    assert await error_code(await client.get(FLAGS, headers=bearer(confused))) == (401, "invalid_token")


async def test_dev_mode_trusts_x_user_id(apps):
    client = await apps.client({**FLAGS_ON, "BS_AUTH_MODE": "dev"})
    body = await (await client.get(FLAGS, headers={"X-User-Id": "user-1"})).json()
    assert body["reason"] == "rollout_included"


async def test_jwt_mode_ignores_x_user_id(apps):
    client = await apps.client({**FLAGS_ON, "BS_AUTH_JWT_SECRET": SECRET})
    assert await error_code(await client.post(CHAT, json={"message": "hi"}, headers={"X-User-Id": "user-2"})) == (401, "auth_required")
