"""The Prometheus client: every way an answer can go wrong comes back as "no data", with why."""

import asyncio

import pytest
from aiohttp import web

from babyshield_chat.db.embedded import free_port
from babyshield_chat.rollout.prometheus import PrometheusClient


def vector(*values):
    return {"status": "success", "data": {"resultType": "vector",
                                          "result": [{"metric": {}, "value": [1.0, v]} for v in values]}}


@pytest.fixture
async def fake_prometheus():
    runners = []

    async def start(answer):
        async def handler(request):
            if answer == "hang":
                await asyncio.sleep(1)
            status, body = answer(request)
            if isinstance(body, (dict, list)):
                return web.json_response(body, status=status)
            return web.Response(text=body, status=status)

        app = web.Application()
        app.router.add_get("/api/v1/query", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_an_instant_value_is_returned(fake_prometheus):
    seen = []
    url = await fake_prometheus(lambda r: (seen.append(r.query["query"]) or 200, vector("0.015")))
    async with PrometheusClient(url) as client:
        sample = await client.query("chat:error_ratio:rate5m")
    assert (sample.value, sample.problem, seen) == (0.015, None, ["chat:error_ratio:rate5m"])


async def test_several_series_give_the_worst_one(fake_prometheus):
    url = await fake_prometheus(lambda r: (200, vector("0.2", "0.9", "0.5")))
    async with PrometheusClient(url) as client:
        assert (await client.query("x")).value == 0.9


async def test_a_scalar_result_is_read(fake_prometheus):
    url = await fake_prometheus(lambda r: (200, {"status": "success",
                                                 "data": {"resultType": "scalar", "result": [1.0, "3"]}}))
    async with PrometheusClient(url) as client:
        assert (await client.query("scalar(x)")).value == 3.0


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (200, vector(), "no data (empty result)"),
        (200, vector("NaN"), "no data (NaN or infinite value)"),
        (200, vector("0.1", "NaN"), "no data (NaN or infinite value)"),
        (200, vector("+Inf"), "no data (NaN or infinite value)"),
        (400, {"status": "error", "errorType": "bad_data", "error": "parse error"}, "HTTP 400: bad_data: parse error"),
        (503, "<html>proxy error</html>", "HTTP 503: the answer is not Prometheus JSON"),
        (200, {"status": "success", "data": {"resultType": "matrix", "result": []}}, "got 'matrix'"),
        (200, [1, 2], "unexpected answer"),
    ],
)
async def test_bad_answers_are_no_data_with_the_reason(fake_prometheus, status, body, problem):
    url = await fake_prometheus(lambda r: (status, body))
    async with PrometheusClient(url) as client:
        sample = await client.query("x")
    assert sample.value is None and not sample.ok
    assert problem in sample.problem


async def test_an_unreachable_prometheus_is_no_data():
    async with PrometheusClient(f"http://127.0.0.1:{free_port()}") as client:
        sample = await client.query("x")
    assert sample.value is None and "not reachable" in sample.problem


async def test_a_prometheus_that_does_not_answer_in_time_is_no_data(fake_prometheus):
    url = await fake_prometheus("hang")
    async with PrometheusClient(url, timeout_sec=0.2) as client:
        sample = await client.query("x")
    assert sample.value is None and "did not answer within 0.2 s" in sample.problem


def test_a_url_without_a_scheme_is_refused_quoting_it():
    with pytest.raises(ValueError, match="got 'localhost:9090'"):
        PrometheusClient("localhost:9090")
