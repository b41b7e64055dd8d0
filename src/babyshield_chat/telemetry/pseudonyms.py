"""User pseudonyms for logs: the only form in which a user id may leave the process.

`user_hash` is a keyed HMAC-SHA256 of the user id, truncated. Without the key
(`BS_LOG_HASH_KEY`) it cannot be reversed by hashing candidate ids; with it,
an SRE can compute a user's hash and search the logs for it (a support case
"what happened to this parent's question?").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final, NewType

#: Hex digits kept from the HMAC: 64 bits, collision-free for any realistic
#: user count, short enough to paste into a log search.
DEFAULT_USER_HASH_HEX_CHARS: Final = 16

#: A user id after `user_hash`. Log fields that name a user take this type,
#: so passing a raw id there is a type error.
UserHash = NewType("UserHash", str)

# Used when BS_LOG_HASH_KEY is unset: random per process, so hashes are not
# reversible, but also not stable across restarts or between workers.
_PROCESS_KEY: Final = secrets.token_bytes(32)


def user_hash(user_id: str | None, key: str | bytes | None) -> UserHash | None:
    """The keyed HMAC-SHA256 of `user_id` as 16 lowercase hex digits.

    Without `key` a random per-process key is used: the lines of one process
    still group by user, but a user's hash changes at every restart and
    differs between processes (`--workers N`), so set BS_LOG_HASH_KEY in any
    deployment where logs are searched.
    """
    if user_id is None:
        return None
    if key is None:
        key_bytes = _PROCESS_KEY
    else:
        key_bytes = key.encode("utf-8") if isinstance(key, str) else key
    digest = hmac.new(key_bytes, user_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return UserHash(digest[:DEFAULT_USER_HASH_HEX_CHARS])
