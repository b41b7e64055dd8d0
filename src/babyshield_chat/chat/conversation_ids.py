"""Conversation ids that say whom they were issued to, so an unstored conversation can go on.

Spec section 1: a `conversation_id` the service returned is always accepted
on the caller's next turn, even when nothing was stored for it (no consent,
an emergency, a failed write), while another user's conversation stays a
404. The service therefore has to recognise, without a database row, an id
it issued to this caller: a new conversation id is an `IssuedIds` id of
purpose "conversation" (the keyed MAC and its layout are described there).

- The binding holds whatever the key: an id issued to Alice verifies only
  for Alice, so Bob can neither continue it nor squat it (claim it first so
  that Alice's next turn would be a 404), and an id minted for another user
  is of no use to anyone but that user.
- The key (`BS_CONVERSATION_ID_KEY`, shared by every instance) additionally
  keeps anyone without it from testing a conversation id against a guessed
  user id. Unset, a built-in key is used, so ids still work across
  instances and restarts.
- Ids from before this scheme (plain random UUIDs) are stored ones: their
  row in `conversations` decides, as it always did.
"""

from __future__ import annotations

from babyshield_chat.chat.issued_ids import IssuedIds

PURPOSE = "conversation"


class ConversationIds(IssuedIds):
    """Issues conversation ids bound to a user (`issue`) and recognises them (`issued_to`)."""

    def __init__(self, key: str | None = None) -> None:
        super().__init__(PURPOSE, key)
