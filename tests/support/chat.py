"""Asking the chat over HTTP as the app does: dev identity, chat on for everyone, one helper for a 200 answer."""

from __future__ import annotations

from typing import Any

#: Dev identity and chat on for every user.
DEV = {"BS_AUTH_MODE": "dev", "BS_FEATURE_CHAT_ENABLED": "true", "BS_FEATURE_CHAT_ROLLOUT_PCT": "1"}
CHAT = "/api/v1/chat/conversation"
ALICE = {"X-User-Id": "alice"}


async def ask(client, message: str, headers: dict[str, str] = ALICE, **body: Any) -> dict[str, Any]:
    """POST `message` (and any other body fields) to the chat; the answer's JSON, asserting a 200."""
    response = await client.post(CHAT, json={"message": message, **body}, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()
