"""`babyshield-chat recalls sync`: incremental pull from the CPSC Recall API.

The API answers a date range (`RecallDateStart`/`RecallDateEnd`) with every
recall in it, so the sync pages by date windows from the day after the last
synced window to today. Each window is one transaction and moves the cursor,
so an interrupted sync resumes where it stopped and never skips a window.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import aiohttp
import asyncpg

from babyshield_chat.recalls import reindex
from babyshield_chat.recalls import repository as repo
from babyshield_chat.recalls.formats import FormatError, parse_document

SOURCE = "cpsc_recall_api"
DEFAULT_START = dt.date(2000, 1, 1)
DEFAULT_WINDOW_DAYS = 90
DEFAULT_TIMEOUT_SEC = 60
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SEC = 0.5


class SyncFailed(RuntimeError):
    pass


@dataclasses.dataclass
class SyncReport:
    windows: int = 0
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    cursor: dt.date | None = None

    def line(self) -> str:
        return (
            f"synced {self.windows} window(s) up to {self.cursor}: {self.read} read, {self.inserted} inserted, "
            f"{self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected"
        )


def windows(start: dt.date, end: dt.date, days: int) -> list[tuple[dt.date, dt.date]]:
    out = []
    while start <= end:
        stop = min(start + dt.timedelta(days=days - 1), end)
        out.append((start, stop))
        start = stop + dt.timedelta(days=1)
    return out


async def _fetch(session: aiohttp.ClientSession, url: str, start: dt.date, end: dt.date, backoff_sec: float) -> object:
    params = {"format": "json", "RecallDateStart": start.isoformat(), "RecallDateEnd": end.isoformat()}
    last_error = ""
    for attempt in range(DEFAULT_ATTEMPTS):
        try:
            async with session.get(url, params=params) as response:
                if response.status >= 500 or response.status == 429:
                    last_error = f"HTTP {response.status}"
                else:
                    if response.status != 200:
                        raise SyncFailed(f"{url} answered HTTP {response.status} for {start}..{end}")
                    return await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError) as exc:
            last_error = type(exc).__name__
        await asyncio.sleep(backoff_sec * 2**attempt)
    raise SyncFailed(f"{url} failed for {start}..{end} after {DEFAULT_ATTEMPTS} attempts ({last_error})")


async def sync(
    database_url: str, source_url: str, *, today: dt.date | None = None, since: dt.date | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS, backoff_sec: float = DEFAULT_BACKOFF_SEC,
) -> SyncReport:
    today = today or dt.date.today()
    report = SyncReport()
    conn = await asyncpg.connect(database_url)
    try:
        last = await repo.last_sync_date(conn, SOURCE)
        # Re-read the last window's final day: recalls published later that day.
        start = since or (last if last else DEFAULT_START)
        timeout = aiohttp.ClientTimeout(total=DEFAULT_TIMEOUT_SEC)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for first, last_day in windows(start, today, window_days):
                document = await _fetch(session, source_url, first, last_day, backoff_sec)
                try:
                    parsed = parse_document(document, "cpsc_recall_api") if document else None
                except FormatError as exc:
                    raise SyncFailed(f"{source_url} for {first}..{last_day}: {exc}") from None
                records = parsed.records if parsed else []
                rejected = len(parsed.rejected) if parsed else 0
                async with conn.transaction():
                    import_id = await repo.start_import(conn, SOURCE)
                    counts = await repo.upsert(conn, records)
                    await repo.finish_import(conn, import_id, read=len(records) + rejected, counts=counts,
                                             rejected=rejected, cursor_date=last_day)
                report.windows += 1
                report.read += len(records) + rejected
                report.inserted += counts.inserted
                report.updated += counts.updated
                report.unchanged += counts.unchanged
                report.rejected += rejected
                report.cursor = last_day
        if report.inserted or report.updated:
            # Once per sync, not per window: the vocabulary is rebuilt from the whole table.
            await reindex.refresh(conn, changed=True)
            await reindex.vacuum(conn)
    finally:
        await conn.close()
    return report
