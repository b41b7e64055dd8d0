"""The real recall files beside the repository (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from babyshield_chat.recalls.importer import import_file

from tests.support.paths import SHARED_DATA

RECALL_FILES = (
    "cpsc_child_recalls_2013_usagov_api.json",
    "cpsc_child_recalls_index_1973_2026.json",
    "fda_infant_child_food_enforcement.json",
    "cpsc_api_shape_sample.json",
)


def data_file(name: str) -> Path:
    path = SHARED_DATA / name
    assert path.exists(), f"the shared recall data is missing: {path}"
    return path


async def import_all(database_url: str) -> None:
    for name in RECALL_FILES:
        await import_file(database_url, data_file(name))


async def age_imports(database_url: str, days: int) -> None:
    """Pretend the last import happened `days` ago."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE recall_imports SET finished_at = now() - make_interval(days => $1)", days)
    finally:
        await conn.close()
