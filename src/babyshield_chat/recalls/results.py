"""A found recall as the chat sees it: one entry per recall, listing the records behind it.

Every look-up (UPC, model number, name) returns rows of the `recalls` table
for whole recall groups (`recalls.grouping`), ordered by the group's rank.
`merge_groups` turns them into `Recall`s:

- id, number and title come from the group's preferred record (the one the
  group is named after: a real recall number rather than an index row);
- the hazard is the longest text any record gives (the 2013 usa.gov record
  says "Poisoning", the index row for the same recall says what happens);
- the link is a current cpsc.gov recall page when any record has one;
- severity is the worst any record reports;
- `sources` lists every record: its id, the source format and its link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from babyshield_chat.recalls.grouping import evidence_id
from babyshield_chat.recalls.severity import Severity

#: The columns of `recalls` (aliased `m`) that `merge_groups` reads.
MEMBER_COLUMNS = (
    "m.agency, m.recall_number, m.recall_group, m.source, m.recall_date, m.title, m.hazard, m.remedy, m.url, "
    "m.category, m.deaths, m.serious_injuries, m.incidents, m.units, m.reannounced"
)
# Current CPSC recall pages; the 2013 records link to an older site layout.
_CURRENT_PAGE = "https://www.cpsc.gov/Recalls/"


@dataclass(frozen=True)
class Source:
    """One stored record of a recall."""

    id: str
    source: str
    url: str | None


@dataclass(frozen=True)
class Recall:
    """One recall, merged from every record of it that matched or belongs to a matched group."""

    agency: str
    recall_number: str
    recall_date: dt.date | None
    title: str
    hazard: str | None
    remedy: str | None
    url: str | None
    category: str | None
    match_kind: str  # "upc" | "model" | "name" | "category"
    score: float = 1.0
    sources: tuple[Source, ...] = ()
    severity: Severity = field(default_factory=Severity)

    @property
    def id(self) -> str:
        return evidence_id(self.agency, self.recall_number)

    def as_fact(self) -> dict[str, object]:
        """The recall as the writers and the LLM receive it (JSON data)."""
        return {
            "id": self.id,
            "recall_number": self.recall_number,
            "agency": self.agency,
            "date": self.recall_date.isoformat() if self.recall_date else None,
            "title": self.title,
            "hazard": self.hazard,
            "remedy": self.remedy,
            "url": self.url,
            "match_kind": self.match_kind,
            "deaths": self.severity.deaths,
            "serious_injuries": self.severity.serious_injuries,
            "incidents": self.severity.incidents,
            "units": self.severity.units,
            "reannounced": self.severity.reannounced,
            "sources": [{"id": s.id, "source": s.source, "url": s.url} for s in self.sources],
        }


def _group_of(row: Mapping[str, Any]) -> str:
    return row["recall_group"] or evidence_id(row["agency"], row["recall_number"])


def _merge(group: str, rows: list[Mapping[str, Any]], match_kind: str) -> Recall:
    head = next((r for r in rows if evidence_id(r["agency"], r["recall_number"]) == group), rows[0])
    hazards = [r["hazard"] for r in rows if r["hazard"]]
    urls = [r["url"] for r in rows if r["url"]]
    severity = Severity()
    for r in rows:
        severity = severity.merge(
            Severity(r["deaths"], r["serious_injuries"], r["incidents"], r["units"], r["reannounced"])
        )
    return Recall(
        agency=head["agency"],
        recall_number=head["recall_number"],
        recall_date=head["recall_date"] or min((r["recall_date"] for r in rows if r["recall_date"]), default=None),
        title=head["title"],
        hazard=max(hazards, key=len) if hazards else None,
        remedy=head["remedy"] or next((r["remedy"] for r in rows if r["remedy"]), None),
        url=next((u for u in urls if u.startswith(_CURRENT_PAGE)), head["url"] or (urls[0] if urls else None)),
        category=head["category"] or next((r["category"] for r in rows if r["category"]), None),
        match_kind=match_kind,
        sources=tuple(Source(evidence_id(r["agency"], r["recall_number"]), r["source"], r["url"]) for r in rows),
        severity=severity,
    )


def merge_groups(rows: Iterable[Mapping[str, Any]], match_kind: str) -> list[Recall]:
    """One `Recall` per group, in the order the groups first appear in `rows`."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(_group_of(row), []).append(row)
    return [_merge(group, members, match_kind) for group, members in groups.items()]
