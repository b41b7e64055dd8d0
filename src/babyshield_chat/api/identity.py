"""Who is asking: JWT bearer tokens (PyJWT), and the dev-mode `X-User-Id` header.

Spec section 2. The user id is the token's `sub`. HS256 with
`BS_AUTH_JWT_SECRET`, or RS256/ES256 with `BS_AUTH_JWT_PUBLIC_KEY`; audience
and issuer are checked when configured, expiry always. `alg: none` and any
algorithm other than the configured family is refused by PyJWT's allow-list.

A token is also refused when it lives longer than `BS_AUTH_JWT_MAX_TTL_SEC`
(spec section 4a): `exp - iat`, or `exp - now` without `iat`. A leaked token
with `exp` in the year 9999 (or 10^400) is not a credential anyone issued on
purpose. Claims PyJWT cannot even compare (an `exp` of 1e400, infinite as a
float) are refused the same way, never a 500.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Literal

import jwt
from aiohttp import web

from babyshield_chat.api.errors import ApiError
from babyshield_chat.api.keys import USER_ID
from babyshield_chat.config import AuthSettings

MAX_USER_ID_LENGTH = 256
_BEARER = "bearer "


@dataclasses.dataclass(frozen=True)
class Identity:
    """An authenticated caller (or, for flags only, a device)."""

    user_id: str
    source: Literal["jwt", "dev", "device"]


class Authenticator:
    """Turns request headers into an `Identity`, or a 401 `ApiError`."""

    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings
        if settings.jwt_public_key:
            self._key: str | None = settings.jwt_public_key
            self._algorithms = ["RS256", "ES256"]
        elif settings.jwt_secret:
            self._key = settings.jwt_secret
            self._algorithms = ["HS256"]
        else:
            self._key = None
            self._algorithms = []

    def identify(self, request: web.Request) -> Identity | None:
        """The caller's identity, None when no credentials were sent.

        A token that is present but bad is an error, never anonymous access.
        """
        identity = self._identify(request)
        if identity is not None:
            request[USER_ID] = identity.user_id  # hashed for the chat_request line, never logged raw
        return identity

    def _identify(self, request: web.Request) -> Identity | None:
        header = request.headers.get("Authorization")
        if header is not None:
            return Identity(self._verify(header), "jwt")
        if self._settings.mode == "dev":
            user_id = request.headers.get("X-User-Id", "").strip()
            if user_id:
                return Identity(_checked_id(user_id, "X-User-Id"), "dev")
        return None

    def require(self, request: web.Request) -> Identity:
        identity = self.identify(request)
        if identity is None:
            hint = " or X-User-Id" if self._settings.mode == "dev" else ""
            raise ApiError(401, "auth_required", f"This endpoint needs an Authorization: Bearer token{hint}.")
        return identity

    def _verify(self, header: str) -> str:
        if not header[: len(_BEARER)].lower() == _BEARER:
            raise _invalid("the Authorization header must be 'Bearer <token>'")
        token = header[len(_BEARER) :].strip()
        if self._key is None:
            raise _invalid("this service has no JWT key configured")
        options = {"require": ["exp", "sub"], "verify_aud": self._settings.audience is not None}
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                options=options,
            )
        except jwt.ExpiredSignatureError:
            raise _invalid("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise _invalid("the token's audience is not this service") from None
        except jwt.InvalidIssuerError:
            raise _invalid("the token's issuer is not trusted") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _invalid(f"the token has no '{exc.claim}' claim") from None
        except (jwt.InvalidTokenError, OverflowError, ValueError, TypeError):
            raise _invalid("the token's signature or format is not valid") from None
        self._check_lifetime(claims)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise _invalid("the token's 'sub' claim must be a non-empty string")
        return _checked_id(subject.strip(), "sub")


    def _check_lifetime(self, claims: dict) -> None:
        exp, iat = claims["exp"], claims.get("iat")
        start = iat if isinstance(iat, (int, float)) and not isinstance(iat, bool) else time.time()
        try:
            lifetime = float(exp - start)  # an integer exp of 400 digits does not fit a float
        except OverflowError:
            lifetime = math.inf
        if not math.isfinite(lifetime) or lifetime > self._settings.max_ttl_sec:
            raise _invalid(f"the token lives longer than {self._settings.max_ttl_sec} s")


def device_identity(request: web.Request) -> Identity | None:
    """The anonymous device id used by the flags endpoint when no user is known."""
    device = request.headers.get("X-Device-Id", "").strip()
    if not device:
        return None
    return Identity(_checked_id(device, "X-Device-Id"), "device")


def _checked_id(value: str, where: str) -> str:
    if len(value) > MAX_USER_ID_LENGTH or not value.isprintable():
        raise ApiError(
            401, "invalid_token", f"The {where} value must be printable and at most {MAX_USER_ID_LENGTH} characters."
        )
    return value


def _invalid(problem: str) -> ApiError:
    return ApiError(401, "invalid_token", f"The credentials were refused: {problem}.")
