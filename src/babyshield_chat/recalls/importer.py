"""`babyshield-chat recalls import FILE`: load a recall JSON file into PostgreSQL.

The whole file goes in one transaction: either every good record is upserted
and the import is recorded (which dates the data), or nothing is written.
Malformed records are reported with their reasons and skipped; they never
stop the import. The search columns of the new records, and which records
are one recall, are settled in the same transaction (`recalls.reindex`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import asyncpg

from babyshield_chat.recalls import reindex
from babyshield_chat.recalls import repository as repo
from babyshield_chat.recalls.formats import FormatError, parse_document


class ImportFailed(RuntimeError):
    """The file could not be imported at all (unreadable, not JSON, not a recall document)."""


@dataclasses.dataclass(frozen=True)
class ImportReport:
    source: str
    format: str | None
    read: int
    counts: repo.UpsertCounts
    rejected: list[tuple[int, str]]

    def lines(self) -> list[str]:
        c = self.counts
        out = [
            f"{self.source}: format {self.format}, {self.read} read, {c.inserted} inserted, "
            f"{c.updated} updated, {c.unchanged} unchanged, {len(self.rejected)} rejected"
        ]
        out += [f"  record {index}: {reason}" for index, reason in self.rejected]
        return out


def load_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ImportFailed(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{str(path)!r} is not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"{str(path)!r} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


async def import_document(conn: asyncpg.Connection, document: object, source: str) -> ImportReport:
    try:
        parsed = parse_document(document)
    except FormatError as exc:
        raise ImportFailed(f"{source}: {exc}") from None
    read = len(parsed.records) + len(parsed.rejected)
    async with conn.transaction():
        import_id = await repo.start_import(conn, source)
        counts = await repo.upsert(conn, parsed.records)
        refreshed = await reindex.refresh(conn, changed=bool(counts.inserted or counts.updated))
        await repo.finish_import(conn, import_id, read=read, counts=counts, rejected=len(parsed.rejected))
    if refreshed.vocabulary_rebuilt:
        await reindex.vacuum(conn)
    return ImportReport(source, parsed.format, read, counts, parsed.rejected)


async def import_file(database_url: str, path: Path) -> ImportReport:
    document = load_json(path)
    conn = await asyncpg.connect(database_url)
    try:
        return await import_document(conn, document, path.name)
    finally:
        await conn.close()
