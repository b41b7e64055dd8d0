"""JSON response bodies: the payload's fields, then the request's trace id, whatever the payload is."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel

from babyshield_chat.api.keys import TRACE_ID
from babyshield_chat.api.responses import json_response
from babyshield_chat.chat.model import Profile

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class Empty(BaseModel):
    pass


class WithTraceId(BaseModel):
    note: str
    trace_id: str = "from the model"


PAYLOADS = {
    "profile": Profile(consent_memory=True, allergies=["milk"], child_birthdate=dt.date(2024, 1, 2)),
    "text": Profile.model_construct(allergies=["lait écrémé \"entier\" \u2028 \t"]),
    "empty": Empty(),
    "own-trace-id": WithTraceId(note="n"),
    "mapping": {"deleted": 3},
}


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    async def handler(request: web.Request) -> web.Response:
        request[TRACE_ID] = TRACE
        return json_response(request, PAYLOADS[request.match_info["name"]])

    app = web.Application()
    app.router.add_get("/{name}", handler)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def body_of(client: TestClient, name: str) -> tuple[bytes, dict]:
    response = await client.get(f"/{name}")
    assert response.status == 200 and response.content_type == "application/json" and response.charset == "utf-8"
    raw = await response.read()
    return raw, json.loads(raw)


async def test_a_model_is_its_fields_then_the_trace_id(client) -> None:
    raw, body = await body_of(client, "profile")
    assert body == {"consent_memory": True, "allergies": ["milk"], "pregnancy_trimester": None,
                    "child_birthdate": "2024-01-02", "trace_id": TRACE}
    assert list(body)[-1] == "trace_id"
    assert b" " not in raw  # compact, as every body


async def test_text_is_written_as_utf8_with_only_what_json_must_escape(client) -> None:
    raw, body = await body_of(client, "text")
    assert body["allergies"] == ["lait écrémé \"entier\" \u2028 \t"]
    assert "écrémé".encode() in raw and b'\\"entier\\"' in raw and b"\\t" in raw


async def test_a_model_without_fields_still_gets_the_trace_id(client) -> None:
    assert (await body_of(client, "empty"))[1] == {"trace_id": TRACE}


async def test_the_request_trace_id_wins_over_a_model_field_of_that_name(client) -> None:
    assert (await body_of(client, "own-trace-id"))[1] == {"note": "n", "trace_id": TRACE}


async def test_a_mapping_gets_the_trace_id_too(client) -> None:
    assert (await body_of(client, "mapping"))[1] == {"deleted": 3, "trace_id": TRACE}
