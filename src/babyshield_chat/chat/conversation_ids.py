"""Conversation ids that say whom they were issued to, so an unstored conversation can go on.

Spec section 1: a `conversation_id` the service returned is always accepted
on the caller's next turn, even when nothing was stored for it (no consent,
an emergency, a failed write), while another user's conversation stays a
404. The service therefore has to recognise, without a database row, an id
it issued to this caller. It does so with a keyed MAC inside the id: a new
id is a version-4 UUID whose first 8 bytes are random and whose last 8 are
HMAC-SHA256(key, user id ‖ those 8 bytes), truncated (the UUID's version and
variant bits are set over both halves, leaving 58 random and 64 MAC bits).

- The binding holds whatever the key: an id issued to Alice verifies only
  for Alice, so Bob can neither continue it nor squat it (claim it first so
  that Alice's next turn would be a 404), and nobody can mint an id that
  verifies for another user.
- The key (`BS_CONVERSATION_ID_KEY`, shared by every instance) additionally
  keeps anyone without it from testing a conversation id against a guessed
  user id. Unset, a built-in key is used, so ids still work across
  instances and restarts.
- Ids from before this scheme (plain random UUIDs) are stored ones: their
  row in `conversations` decides, as it always did.

The alternative, a record of every issued id, would write to PostgreSQL for
parents who did not consent to memory and on the emergency path, which must
not touch the database at all.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid

# Used when BS_CONVERSATION_ID_KEY is unset: the binding to the user holds with a public key too.
BUILT_IN_KEY = b"babyshield-chat conversation ids v1"
_RANDOM_BYTES = 8


class ConversationIds:
    """Issues conversation ids bound to a user and recognises them."""

    def __init__(self, key: str | None = None) -> None:
        self._key = key.encode("utf-8") if key else BUILT_IN_KEY

    def issue(self, user_id: str) -> uuid.UUID:
        """A new conversation id for `user_id`."""
        head = bytearray(os.urandom(_RANDOM_BYTES))
        head[6] = (head[6] & 0x0F) | 0x40  # version 4, inside the MAC'd half
        return uuid.UUID(bytes=bytes(head) + self._tag(user_id, bytes(head)))

    def issued_to(self, user_id: str, conversation_id: uuid.UUID) -> bool:
        """Whether this service issued `conversation_id` to `user_id`."""
        raw = conversation_id.bytes
        head, tail = raw[:_RANDOM_BYTES], raw[_RANDOM_BYTES:]
        return hmac.compare_digest(tail, self._tag(user_id, head))

    def _tag(self, user_id: str, head: bytes) -> bytes:
        # NUL separates the two: user ids are printable (api.identity), so no id can end in the other's bytes.
        mac = bytearray(hmac.new(self._key, user_id.encode("utf-8") + b"\x00" + head, hashlib.sha256).digest()[:8])
        mac[0] = (mac[0] & 0x3F) | 0x80  # RFC 4122 variant bits
        return bytes(mac)
