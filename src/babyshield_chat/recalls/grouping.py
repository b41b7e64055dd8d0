"""One recall, one entry: which stored records describe the same recall.

The same CPSC recall reaches the table from several sources: the 2013
usa.gov record "13087", the compact index row keyed by its page path, a
SaferProducts API record. Records are the same recall when they share

- a recall number (same agency), or
- a recall page slug: the same slug under the same year, or the same slug
  under two years with the same recall date (CPSC moved some pages between
  year folders: "2010/Infant-Car-Seats-Recalled-by-Britax..." and
  "2011/..." are one recall of 2010-11-04).

CPSC also appends a digit to a page path it had already used
("...-One-Child-Death-Reported1"); with the same recall date that is the same
recall too. A slug alone under two years with two dates is two recalls (CPSC
reuses a title for a firm's second recall of the same product), so it is not
merged.

Each group is named after its preferred record (`group_id`): a source with
a real recall number beats the index rows that only have a page path, so
the evidence id of the Rock 'n Play mold recall stays "CPSC-13087" whether
or not the index was imported too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

# The digit CPSC appends to a page path it already used ("...-hazard1").
_TRAILING_COPY = re.compile(r"(?<=[a-z])\d$")

#: Which record names a group, best first: sources with a real recall number first.
SOURCE_PREFERENCE: tuple[str, ...] = ("cpsc_recall_api", "cpsc_usagov", "openfda_enforcement", "cpsc_index")


@dataclass(frozen=True)
class GroupMember:
    """What grouping needs to know of one stored record."""

    agency: str
    recall_number: str
    source: str
    slug: str | None  # "year/slug", lower case
    recall_date: dt.date | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.agency, self.recall_number)

    @property
    def has_number(self) -> bool:
        """Index rows use their page path as recall number; that is no number to match on."""
        return self.source != "cpsc_index"


def evidence_id(agency: str, recall_number: str) -> str:
    """The id a recall is cited by: "CPSC-13087", "FDA-F-1234-2022"."""
    return f"{agency}-{recall_number}"


def source_rank_sql(column: str) -> str:
    """SQL giving the `SOURCE_PREFERENCE` rank (1 first) of the source in `column`, other sources last.

    The look-ups' last tie-breaker before the record id: of two records that
    match equally well, the richer, newer source comes first, so one
    question always gets the same answer whatever order the rows lie in.
    """
    sources = ", ".join(f"'{source}'" for source in SOURCE_PREFERENCE)
    return f"coalesce(array_position(ARRAY[{sources}]::text[], {column}), {len(SOURCE_PREFERENCE) + 1})"


def _preference(member: GroupMember) -> tuple[int, str, str]:
    rank = SOURCE_PREFERENCE.index(member.source) if member.source in SOURCE_PREFERENCE else len(SOURCE_PREFERENCE)
    return (rank, member.agency, member.recall_number)


def group_ids(members: Iterable[GroupMember]) -> dict[tuple[str, str], str]:
    """Each record's group id (`evidence_id` of the group's preferred record)."""
    items = list(members)
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    by_number: dict[tuple[str, str], int] = {}
    by_tail: dict[str, list[int]] = {}
    for index, member in enumerate(items):
        if member.has_number:
            first = by_number.setdefault((member.agency, member.recall_number), index)
            union(first, index)
        if member.slug:
            by_tail.setdefault(_TRAILING_COPY.sub("", member.slug.split("/", 1)[-1]), []).append(index)
    for indexes in by_tail.values():
        for pos, i in enumerate(indexes):
            for j in indexes[pos + 1 :]:
                a, b = items[i], items[j]
                same_year = a.slug == b.slug
                same_date = a.recall_date is not None and a.recall_date == b.recall_date
                if same_year or same_date:
                    union(i, j)

    groups: dict[int, list[GroupMember]] = {}
    for index, member in enumerate(items):
        groups.setdefault(find(index), []).append(member)
    out: dict[tuple[str, str], str] = {}
    for group in groups.values():
        head = min(group, key=_preference)
        for member in group:
            out[member.key] = evidence_id(head.agency, head.recall_number)
    return out
