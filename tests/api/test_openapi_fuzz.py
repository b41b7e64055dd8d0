"""Property-based fuzzing of every endpoint from the service's own OpenAPI document.

Schemathesis reads `/api/v1/openapi.json` from a live app (real factory,
real PostgreSQL, JWT identity) and sends generated requests to every
operation, first valid ones, then invalid ones. Every response must be no
5xx and conform to the document (status code listed, content type, headers,
body schema), and valid requests must be accepted, so the document states
every rule the service enforces, with every check schemathesis has
(`--checks all`); CHECKS and DOCUMENTED_REJECTIONS list the documented
exceptions, each a rule JSON Schema cannot state.

Schemathesis' pytest plugin does not run under this pytest version, so the
test drives its Python API: one hypothesis run per operation, all in one
test, with a bounded example count.
"""

import re
import time

import jwt
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as CHECKS_REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from babyshield_chat.api.routes import ROUTES

from tests.support.live import LiveApp

load_all_checks()

ADMIN_TOKEN = "fuzz-admin-token"
JWT_SECRET = "fuzz-secret-of-at-least-thirty-two-bytes"
# JWT identity, as the document describes it (dev mode's X-User-Id is not part of the contract).
ENV = {"BS_AUTH_JWT_SECRET": JWT_SECRET, "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1",
       "BS_ADMIN_TOKEN": ADMIN_TOKEN, "BS_CHAT_USER_RATE_PER_MIN": "100000"}
PARENT_TOKEN = jwt.encode({"sub": "fuzz-parent", "exp": int(time.time()) + 3600}, JWT_SECRET, algorithm="HS256")
# Every check schemathesis has (`--checks all`), but two, which test a rule JSON Schema cannot state:
# - the spec measures free text after trimming ("1..2000 characters after trimming"), and the
#   document counts the whitespace too, so it is the stricter of the two: a generated "too long"
#   text that is mostly whitespace is rightly accepted (`negative_data_rejection`);
# - `positive_data_acceptance` is replaced by `valid_data_accepted`, which allows the documented
#   rejections of DOCUMENTED_REJECTIONS below.
CHECKS = [check for check in CHECKS_REGISTRY.get_all()
          if check not in (negative_data_rejection, positive_data_acceptance)]
# What the service rightly refuses although JSON Schema calls it valid (spec sections 1 and 4a):
# an integral number written as a float (2.0 is an "integer" to JSON Schema, not to the spec), a
# birth date in the future or more than 25 years back (no standard keyword bounds a date), and a
# DELETE of the flag override with neither a body nor ?reason= (one of two, which the document
# cannot require).
DOCUMENTED_REJECTIONS = re.compile(
    r"valid integer|must be 1, 2, 3 or null, not float|must not be in the future|years back|"
    r"is not a calendar date|Say why: a JSON body"
)


@schemathesis.check
def valid_data_accepted(ctx, response, case):
    """`positive_data_acceptance`, except for DOCUMENTED_REJECTIONS."""
    if response.status_code == 400 and DOCUMENTED_REJECTIONS.search(response.text):
        return True
    return positive_data_acceptance(ctx, response, case)


# Per operation: enough to cover every field's valid and invalid shapes, few enough to run in seconds.
MAX_EXAMPLES = 25


@pytest.fixture
def live_app(sync_database_url):
    app = LiveApp(ENV, sync_database_url).start()
    try:
        yield app
    finally:
        app.stop()


def identity_headers(path: str) -> dict[str, str]:
    # Admin operations take the admin token; the others a dev-mode identity.
    if path.startswith("/api/v1/admin/"):
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    return {"Authorization": f"Bearer {PARENT_TOKEN}"}


def fuzz(operation, base_url: str, mode: GenerationMode) -> int:
    """Run `operation`'s generated cases in `mode`; return how many were sent."""
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case):
        nonlocal sent
        sent += 1
        case.call_and_validate(base_url=base_url, headers=identity_headers(operation.path),
                               checks=[*CHECKS, valid_data_accepted])

    try:
        run()
    except Unsatisfiable:
        # Only an operation without any input has no invalid request to make.
        assert mode is GenerationMode.NEGATIVE and sent == 0, operation.label
    return sent


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_every_operation_answers_without_5xx_and_as_documented(live_app, mode):
    schema = schemathesis.openapi.from_url(f"{live_app.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(ROUTES)  # every route of the table, none silently dropped
    sent = {op.label: fuzz(op, live_app.url, mode) for op in operations}
    print(f"\nfuzz cases sent ({mode.value}): {sum(sent.values())} over {len(sent)} operations")
    assert sum(sent.values()) >= len(operations)
