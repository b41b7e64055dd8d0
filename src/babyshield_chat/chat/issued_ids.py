"""Ids the service issues to one user and recognises later without a database row.

Some things the service hands out must be recognised as the caller's when
they come back, although nothing about them may be stored: an answer a
parent votes on (`POST /api/v1/chat/feedback`) when there was no memory
consent and no `client_message_id`; a conversation continued after an
unstored turn (spec section 1). The id itself carries the proof, a keyed MAC:

    bytes 0..7   random (the UUID's version nibble set to 4), or, for a
                 tagged id, random bytes 0..6 and a one-byte tag in byte 7
                 (a message id's intent code) that the MAC covers
    bytes 8..15  HMAC-SHA256(key, purpose ‖ 0 ‖ user id ‖ 0 ‖ bytes 0..7),
                 first 8 bytes, with the RFC 4122 variant bits set (62 bits)

so the id looks like any version-4 UUID to a client and says nothing about
the user. What it guarantees:

- An id issued to Alice verifies only for Alice: Bob can neither vote on
  her answer nor continue her conversation, and the tag cannot be changed
  without the MAC failing.
- `purpose` separates the kinds of id: a message id is never a valid
  conversation id, even under one key.
- The key (one per purpose in the settings: `BS_MESSAGE_ID_KEY`,
  `BS_CONVERSATION_ID_KEY`; shared by every instance and kept across
  restarts) keeps anyone without it from minting ids: without a configured
  key a built-in one is used, which is enough for a development service but
  lets a user mint ids for themselves, so production requires a key of its
  own where forging matters (message ids: a minted one would be a vote on an
  answer never given; config.py).

`MessageIds` (chat/message_ids.py) and `ConversationIds`
(chat/conversation_ids.py) are the two purposes.

The alternative, a database row per issued id, would write for parents who
did not consent to memory and on the emergency path, which must not touch
the database at all.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid

#: Used without a configured key (development): ids still work across instances and restarts.
BUILT_IN_KEY = b"babyshield-chat issued ids v1"
_HEAD_BYTES = 8
_TAG_INDEX = 7
MAX_TAG = 0xFF


class IssuedIds:
    """Issues ids of one `purpose` bound to a user, optionally carrying a one-byte tag, and recognises them."""

    def __init__(self, purpose: str, key: str | None = None, *, tagged: bool = False) -> None:
        if not purpose or "\x00" in purpose:
            raise ValueError(f"purpose must be a non-empty string without NUL, got {purpose!r}")
        self._purpose = purpose.encode("utf-8")
        self._key = key.encode("utf-8") if key else BUILT_IN_KEY
        self._tagged = tagged

    def issue(self, user_id: str, tag: int | None = None) -> uuid.UUID:
        """A new id for `user_id`; `tag` (0..255) is required exactly when the ids are tagged."""
        if self._tagged != (tag is not None):
            raise ValueError(f"tag is {'required' if self._tagged else 'not used'} for {self._purpose.decode()} ids")
        head = bytearray(os.urandom(_HEAD_BYTES))
        head[6] = (head[6] & 0x0F) | 0x40  # version 4, inside the MAC'd half
        if tag is not None:
            if not 0 <= tag <= MAX_TAG:
                raise ValueError(f"tag must be 0..{MAX_TAG}, got {tag!r}")
            head[_TAG_INDEX] = tag
        return uuid.UUID(bytes=bytes(head) + self._mac(user_id, bytes(head)))

    def issued_to(self, user_id: str, value: uuid.UUID) -> bool:
        """Whether this service issued `value` to `user_id` (for this purpose)."""
        raw = value.bytes
        return hmac.compare_digest(raw[_HEAD_BYTES:], self._mac(user_id, raw[:_HEAD_BYTES]))

    def tag(self, user_id: str, value: uuid.UUID) -> int | None:
        """The tag of an id issued to `user_id`; None when it was not (or the ids carry no tag)."""
        if not self._tagged or not self.issued_to(user_id, value):
            return None
        return value.bytes[_TAG_INDEX]

    def _mac(self, user_id: str, head: bytes) -> bytes:
        # NUL separates the parts: neither a purpose nor a user id (api.identity) contains one.
        message = self._purpose + b"\x00" + user_id.encode("utf-8") + b"\x00" + head
        mac = bytearray(hmac.new(self._key, message, hashlib.sha256).digest()[:8])
        mac[0] = (mac[0] & 0x3F) | 0x80  # RFC 4122 variant bits
        return bytes(mac)
