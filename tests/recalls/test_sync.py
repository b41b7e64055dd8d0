"""`recalls sync` against a local server that speaks the CPSC Recall API's shape."""

import datetime as dt
import json

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from babyshield_chat.recalls.sync import SyncFailed, sync, windows

from tests.support.data import data_file

RECORDS = json.loads(data_file("cpsc_api_shape_sample.json").read_text())


class FakeCpsc:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.fail = False

    async def handle(self, request: web.Request) -> web.Response:
        start, end = request.query["RecallDateStart"], request.query["RecallDateEnd"]
        self.requests.append((start, end))
        if self.fail:
            return web.Response(status=503)
        chosen = [r for r in RECORDS if start <= r["RecallDate"][:10] <= end]
        return web.json_response(chosen)


@pytest.fixture
async def cpsc():
    fake = FakeCpsc()
    app = web.Application()
    app.router.add_get("/RestWebServices/Recall", fake.handle)
    server = TestServer(app)
    await server.start_server()
    yield fake, str(server.make_url("/RestWebServices/Recall"))
    await server.close()


async def recall_count(url):
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT count(*) FROM recalls")
    finally:
        await conn.close()


def test_windows_cover_every_day_once():
    spans = windows(dt.date(2025, 1, 1), dt.date(2025, 12, 31), 90)
    assert spans[0][0] == dt.date(2025, 1, 1) and spans[-1][1] == dt.date(2025, 12, 31)
    assert all(b[0] - a[1] == dt.timedelta(days=1) for a, b in zip(spans, spans[1:]))


async def test_sync_imports_every_record_in_range(database_url, cpsc):
    fake, url = cpsc
    report = await sync(database_url, url, since=dt.date(2025, 1, 1), today=dt.date(2026, 8, 1))
    assert report.inserted == len(RECORDS) == await recall_count(database_url)
    assert report.cursor == dt.date(2026, 8, 1)


async def test_second_sync_resumes_from_the_cursor(database_url, cpsc):
    fake, url = cpsc
    await sync(database_url, url, since=dt.date(2025, 1, 1), today=dt.date(2026, 1, 1))
    fake.requests.clear()
    report = await sync(database_url, url, today=dt.date(2026, 8, 1))
    assert fake.requests[0][0] == "2026-01-01"  # the last day is read again
    assert report.inserted + report.unchanged >= 1
    assert await recall_count(database_url) == len(RECORDS)


async def test_a_failing_source_stops_the_sync_without_moving_the_cursor(database_url, cpsc):
    fake, url = cpsc
    fake.fail = True
    with pytest.raises(SyncFailed, match="HTTP 503"):
        await sync(database_url, url, since=dt.date(2026, 1, 1), today=dt.date(2026, 2, 1), backoff_sec=0.01)
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM recall_imports") == 0
    finally:
        await conn.close()
