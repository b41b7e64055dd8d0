"""No message text, answer, profile field or raw user id in logs, spans or metrics, under every outcome.

One app serves every outcome of `chat_requests_total` (ok, fallback,
emergency, blocked, rejected, error) plus the rate-limited and shed paths,
each with text that carries a unique marker; then the JSON log lines, the
finished spans and the `/metrics` exposition are searched for every marker
and for every answer the service gave. Ownership and erase are checked here
too: a conversation is only ever read by its owner, and erase leaves no row
with the user's id in any table of the schema.
"""

import io
import json

import asyncpg
import pytest

from babyshield_chat.config import load_settings
from babyshield_chat.api.context import REQUEST_STATE
from babyshield_chat.devtools.fake_llm.server import FakeLlmServer
from babyshield_chat.telemetry import configure_logging

CHAT = "/api/v1/chat/conversation"
USER = "parent-SECRETUSER-4711@example.com"
BLOCKED_USER = "parent-SECRETBLOCKED-0815"
ADMIN = {"Authorization": "Bearer privacy-admin"}
ENV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1",
       "BS_FEATURE_CHAT_DENYLIST": BLOCKED_USER, "BS_ADMIN_TOKEN": "privacy-admin", "BS_FAULT_INJECTION": "true",
       "BS_CHAT_USER_RATE_PER_MIN": "12", "BS_METRICS_PROMETHEUS": "true"}
PROFILE = {"consent_memory": True, "allergies": ["SECRETALLERGY-peanut"], "pregnancy_trimester": 2,
           "child_birthdate": "2023-07-19"}
SECRET_FRAGMENTS = ["SECRETUSER", "SECRETBLOCKED", "SECRETALLERGY", "2023-07-19", "SECRETMSG", "SECRETPRODUCT"]


def ask(text, **extra):
    return {"message": f"{text} SECRETMSG-{abs(hash(text)) % 10_000}", **extra}


@pytest.fixture
def captured_logs():
    stream = io.StringIO()
    configure_logging(load_settings({}).telemetry, stream=stream)
    try:
        yield stream
    finally:
        configure_logging(load_settings({}).telemetry)  # back to stdout


async def exercise_every_outcome(client, fake):
    """Drive each outcome once or more; return the answers the service wrote."""
    headers = {"X-User-Id": USER}
    answers = []
    assert (await client.put("/api/v1/chat/profile", json=PROFILE, headers=headers)).status == 200
    product = {"name": "SECRETPRODUCT crib", "brand": "SECRETPRODUCT"}

    ok = await client.post(CHAT, json=ask("Is this crib recalled?", product=product), headers=headers)
    assert ok.status == 200 and (await ok.json())["synthesizer"] == "llm"
    answers.append(await ok.json())
    fake.state.set(fault="server_error")
    fallback = await client.post(CHAT, json=ask("Is this crib recalled?", product=product), headers=headers)
    assert (await fallback.json())["synthesizer"] == "fallback"
    answers.append(await fallback.json())
    fake.state.set(fault="none")
    emergency = await client.post(CHAT, json=ask("My baby swallowed a button battery!"), headers=headers)
    assert (await emergency.json())["intent"] == "emergency"
    answers.append(await emergency.json())
    explain = await client.post("/api/v1/chat/explain", json={"product": product}, headers=headers)
    assert explain.status == 200
    answers.append(await explain.json())

    blocked = await client.post(CHAT, json=ask("Is this crib safe?"), headers={"X-User-Id": BLOCKED_USER})
    assert blocked.status == 403
    rejected = await client.post(CHAT, json={**ask("Is it safe?"), "surprise": "SECRETMSG-extra"}, headers=headers)
    assert rejected.status == 400

    assert (await client.put("/api/v1/admin/faults", json={"error_ratio": 1.0}, headers=ADMIN)).status == 200
    error = await client.post(CHAT, json=ask("Is this stroller recalled?"), headers=headers)
    assert error.status == 500
    assert (await client.delete("/api/v1/admin/faults", headers=ADMIN)).status == 200

    client.app[REQUEST_STATE].inflight = client.app[REQUEST_STATE].max_inflight
    shed = await client.post(CHAT, json=ask("Is this bottle safe?"), headers=headers)
    client.app[REQUEST_STATE].inflight = 0
    assert shed.status == 503

    statuses = [(await client.post(CHAT, json=ask(f"Question {i}?"), headers=headers)).status for i in range(12)]
    assert 429 in statuses

    conversation = answers[0]["conversation_id"]
    assert (await client.get(f"/api/v1/chat/conversations/{conversation}", headers=headers)).status == 200
    return answers


def answer_texts(answers):
    texts = set()
    for body in answers:
        answer = body["answer"]
        texts.add(answer["summary"])
        texts.update(answer["reasons"])
        texts.update(check["detail"] for check in answer["checks"])
    return {text for text in texts if len(text) > 20}  # long enough not to be a common word


async def test_no_private_text_in_logs_spans_or_metrics_under_any_outcome(apps, database_url, captured_logs):
    async with FakeLlmServer() as fake:
        client = await apps.client({**ENV, "BS_LLM_BASE_URL": fake.base_url, "BS_LLM_API_KEY": "test"},
                                   database_url=database_url)
        answers = await exercise_every_outcome(client, fake)
        metrics = await (await client.get("/metrics")).text()

    logs = captured_logs.getvalue()
    lines = [json.loads(line) for line in logs.splitlines()]
    outcomes = {line["outcome"] for line in lines if line.get("event") == "chat_request"}
    assert outcomes == {"ok", "fallback", "emergency", "blocked", "rejected", "error"}
    assert {line["status_code"] for line in lines if line.get("event") == "chat_request"} >= {403, 429, 500, 503}
    spans = "\n".join(span.to_json() for span in apps.spans.get_finished_spans())
    assert "chat.memory" in spans and "execute_tool" in spans  # the spans of the pipeline were recorded

    for where, text in (("logs", logs), ("spans", spans), ("metrics", metrics)):
        for fragment in SECRET_FRAGMENTS:
            assert fragment not in text, f"{fragment!r} leaked into the {where}"
        for answer in answer_texts(answers):
            assert answer not in text, f"an answer leaked into the {where}: {answer[:60]!r}"
    assert 'outcome="error"' in metrics and 'outcome="rejected"' in metrics


# --- ownership and erase ---


async def test_every_conversation_read_checks_the_owner(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    for user in ("alice", "bob"):
        await client.patch("/api/v1/chat/profile", json={"consent_memory": True}, headers={"X-User-Id": user})
    alice = await (await client.post(CHAT, json=ask("Is this crib recalled?"), headers={"X-User-Id": "alice"})).json()
    path = f"/api/v1/chat/conversations/{alice['conversation_id']}"
    assert (await client.get(path, headers={"X-User-Id": "alice"})).status == 200
    assert (await client.get(path, headers={"X-User-Id": "bob"})).status == 404
    assert (await client.get(path)).status == 401
    replay = await client.post(CHAT, json={**ask("again"), "conversation_id": alice["conversation_id"]},
                               headers={"X-User-Id": "bob"})
    assert replay.status == 404


async def tables_with_user_id(conn):
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'user_id' ORDER BY table_name"
    )
    return [row["table_name"] for row in rows]


async def test_erase_leaves_no_row_of_the_user_in_any_table(apps, database_url):
    client = await apps.client(ENV, database_url=database_url)
    me, other = {"X-User-Id": USER}, {"X-User-Id": "someone-else"}
    for headers in (me, other):
        await client.put("/api/v1/chat/profile", json=PROFILE, headers=headers)
        first = await (await client.post(CHAT, json=ask("Is this crib recalled?", client_message_id="m-1"),
                                          headers=headers)).json()
        await client.post(CHAT, json=ask("And for a newborn?", conversation_id=first["conversation_id"]),
                          headers=headers)
    conn = await asyncpg.connect(database_url)
    try:
        tables = await tables_with_user_id(conn)
        assert {"conversations", "messages", "profiles", "idempotency_records"} <= set(tables)
        before = {t: await conn.fetchval(f'SELECT count(*) FROM "{t}" WHERE user_id = $1', USER) for t in tables}
        assert all(before[t] > 0 for t in ("conversations", "messages", "profiles", "idempotency_records"))

        erased = await client.post("/api/v1/chat/erase", headers=me)
        assert erased.status == 200
        assert (await erased.json())["deleted"] == {"conversations": 1, "messages": 4, "profile": True}

        for table in tables:
            assert await conn.fetchval(f'SELECT count(*) FROM "{table}" WHERE user_id = $1', USER) == 0, table
        # Someone else's data is untouched.
        assert await conn.fetchval("SELECT count(*) FROM messages WHERE user_id = 'someone-else'") == 4
    finally:
        await conn.close()
