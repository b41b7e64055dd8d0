"""Who gets the chat: the bucket function and the decision order of spec section 3.

Pure functions over an effective flag state; no I/O, so the gate costs only a
hash. The state itself comes from the runtime override store (`flags/store.py`:
env values with the override on top), which is why `source` travels with it.
"""

from __future__ import annotations

import dataclasses
import hashlib

from babyshield_chat.config import FlagSettings
from babyshield_chat.vocabulary import FlagReason, FlagSource

BUCKETS = 100_000
FLAG_KEY = "chat"



def bucket(identity: str) -> int:
    """The user's stable bucket in [0, 100000): spec section 3, byte for byte."""
    digest = hashlib.sha256(("chat:" + identity).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


@dataclasses.dataclass(frozen=True)
class FlagState:
    """The effective chat flag, after any runtime override."""

    enabled: bool
    rollout_pct: float
    allowlist: frozenset[str] = frozenset()
    denylist: frozenset[str] = frozenset()
    source: FlagSource = "env"
    # True when the source could not confirm this state with its database
    # lately: it is the last value known (see flags/store.py).
    stale: bool = False

    @classmethod
    def from_settings(cls, settings: FlagSettings) -> FlagState:
        return cls(
            enabled=settings.enabled,
            rollout_pct=settings.rollout_pct,
            allowlist=settings.allowlist,
            denylist=settings.denylist,
        )

    @property
    def threshold(self) -> int:
        # Rounded once so that 0.1 includes exactly buckets 0..9999.
        return round(self.rollout_pct * BUCKETS)


@dataclasses.dataclass(frozen=True)
class FlagDecision:
    enabled: bool
    reason: FlagReason

    @property
    def variant(self) -> str:
        return "on" if self.enabled else "off"


def decide(state: FlagState, identity: str | None) -> FlagDecision:
    """Apply the decision order: disabled, denylist, allowlist, identity, bucket."""
    if not state.enabled:
        return FlagDecision(False, "disabled")
    if identity is not None and identity in state.denylist:
        return FlagDecision(False, "denylisted")
    if identity is not None and identity in state.allowlist:
        return FlagDecision(True, "allowlisted")
    if not identity:
        # Without an identity there is no stable bucket; only a full rollout includes.
        return FlagDecision(state.rollout_pct >= 1.0, "no_identity")
    if bucket(identity) < state.threshold:
        return FlagDecision(True, "rollout_included")
    return FlagDecision(False, "rollout_excluded")
