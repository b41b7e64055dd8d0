"""Liveness and readiness."""


async def test_healthz_answers_without_a_database(apps):
    response = await (await apps.client()).get("/healthz")
    assert response.status == 200 and (await response.json())["status"] == "ok"


async def test_readyz_is_503_while_the_database_is_unreachable(apps):
    response = await (await apps.client()).get("/readyz")
    assert response.status == 503
    assert (await response.json())["error"]["code"] == "not_ready"
    assert response.headers["Retry-After"]


async def test_readyz_is_200_with_a_working_database(apps, database_url):
    response = await (await apps.client(database_url=database_url)).get("/readyz")
    assert response.status == 200
