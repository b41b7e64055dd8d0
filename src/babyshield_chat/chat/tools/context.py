"""What every tool receives: the product, the parent's profile, what the message states, the question, the clock."""

from __future__ import annotations

import dataclasses
import datetime as dt

from opentelemetry import trace

from babyshield_chat.db.pool import Database
from babyshield_chat.chat.model import Product, Profile, Stated
from babyshield_chat.chat.tools.recall_freshness import FreshnessCache


@dataclasses.dataclass(frozen=True)
class ToolContext:
    question: str
    product: Product | None
    profile: Profile
    database: Database
    tracer: trace.Tracer
    now: dt.datetime
    recalls_max_age_days: int
    # The pipeline's cache of the recall data's age; None reads it on every call.
    recall_freshness: FreshnessCache | None = None
    # Facts the message states (child's age, pregnancy, allergies): they win over the profile (spec 4b.6).
    stated: Stated = dataclasses.field(default_factory=Stated)

    @property
    def today(self) -> dt.date:
        return self.now.date()
