"""Delivering notices to a real local webhook: accepted, refused, slow, unreachable; never raising."""

import json

import pytest

from babyshield_chat.db.embedded import free_port
from babyshield_chat.rollout.notifier import Notifier

NOTICE = {"text": "[staging] Rollout held at 25%: soak: 3h left of 48h at 25%", "blocks": []}


async def test_a_notice_arrives_as_the_json_body_and_is_counted_sent(receiver):
    notifier = Notifier(f"{receiver.url}/T000/B000/token")
    assert await notifier.send(NOTICE) is True
    await notifier.close()
    [body] = receiver.bodies
    assert (body.path, body.json) == ("T000/B000/token", NOTICE)
    assert (notifier.sent, notifier.failed) == (1, 0)


async def test_a_refusing_receiver_is_logged_and_counted_without_the_url(receiver, logs):
    receiver.status = 500
    notifier = Notifier(f"{receiver.url}/hooks-secret-token")
    assert await notifier.send(NOTICE) is False
    await notifier.close()
    [line] = [line for line in logs.lines() if line.get("event") == "rollout_notification_failed"]
    assert line["level"] == "warning" and line["problem"] == "the receiver answered HTTP 500"
    assert (line["failed"], line["sent"]) == (1, 0)
    assert "hooks-secret-token" not in json.dumps(logs.lines())
    assert (notifier.sent, notifier.failed) == (0, 1)


async def test_a_receiver_slower_than_the_timeout_is_a_failure_not_a_wait(receiver, logs):
    receiver.delay_sec = 3.0
    notifier = Notifier(f"{receiver.url}/slow", timeout_sec=0.2)
    assert await notifier.send(NOTICE) is False
    await notifier.close()
    [line] = [line for line in logs.lines() if line.get("event") == "rollout_notification_failed"]
    assert line["problem"] == "no answer within 0.2 s"


async def test_an_unreachable_receiver_is_a_failure(logs):
    notifier = Notifier(f"http://127.0.0.1:{free_port()}/nobody")
    assert await notifier.send(NOTICE) is False and notifier.failed == 1
    await notifier.close()
    [line] = [line for line in logs.lines() if line.get("event") == "rollout_notification_failed"]
    assert line["problem"].startswith("the receiver is not reachable")


async def test_published_notices_are_delivered_by_the_time_close_returns(receiver):
    notifier = Notifier(f"{receiver.url}/bg")
    for n in range(3):
        notifier.publish({**NOTICE, "text": f"notice {n}"})
    await notifier.close()
    assert sorted(b.json["text"] for b in receiver.bodies) == ["notice 0", "notice 1", "notice 2"]
    assert notifier.sent == 3


def test_a_url_that_is_not_http_is_refused():
    with pytest.raises(ValueError, match="http:// or https://"):
        Notifier("hooks.example.com/T/B/x")
