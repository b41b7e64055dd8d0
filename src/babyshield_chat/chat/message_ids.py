"""The `message_id` of an answer: who it was answered for, and its intent, inside the id.

A parent may vote on any answer the service gave them (`POST
/api/v1/chat/feedback`), including the many that nothing was stored for (no
memory consent, no `client_message_id`, an emergency). So every answer's
`message_id` is an `IssuedIds` id of purpose "message" bound to the caller,
whose tag is the answer's intent code. `answered(user, id)` gives back that
intent exactly when the service issued the id to that user; the vote is
counted under it (`chat_feedback_total{intent}`), never under anything the
client says.

`INTENT_CODES` is part of every id ever issued: a code is never reused or
renumbered, a new intent gets the next free one (a test pins the table).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from babyshield_chat.chat.issued_ids import IssuedIds
from babyshield_chat.vocabulary import Intent

PURPOSE = "message"

INTENT_CODES: Final[Mapping[Intent, int]] = MappingProxyType({
    "recall_details": 1,
    "pregnancy_risk": 2,
    "allergy_question": 3,
    "ingredient_info": 4,
    "age_appropriateness": 5,
    "alternative_products": 6,
    "unclear_intent": 7,
    "explain_scan": 8,
    "emergency": 9,
})
_INTENTS_BY_CODE: Final[Mapping[int, Intent]] = MappingProxyType({code: i for i, code in INTENT_CODES.items()})


class MessageIds:
    """Issues answers' message ids and recognises the caller's own."""

    def __init__(self, key: str | None = None) -> None:
        self._ids = IssuedIds(PURPOSE, key, tagged=True)

    def issue(self, user_id: str, intent: Intent) -> uuid.UUID:
        return self._ids.issue(user_id, INTENT_CODES[intent])

    def answered(self, user_id: str, message_id: uuid.UUID) -> Intent | None:
        """The intent of the answer `message_id` when the service gave it to `user_id`, else None."""
        code = self._ids.tag(user_id, message_id)
        return _INTENTS_BY_CODE.get(code) if code is not None else None
