"""`/console` as served: the page, its files, and the headers that keep it to its own origin."""

import re

import pytest

from babyshield_chat.console.web import CONTENT_SECURITY_POLICY, assets

EXPECTED_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def referenced_files(html: str) -> set[str]:
    return set(re.findall(r'(?:src|href)="(/console/static/[^"]+)"', html))


async def test_the_page_is_html_under_a_csp_that_allows_only_its_own_origin(apps):
    client = await apps.client()
    response = await client.get("/console")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'none'"
    for name in ("script-src", "style-src", "connect-src", "img-src"):
        assert directives[name] == "'self'", name
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Trace-Id"])


async def test_the_page_has_no_inline_script_or_style_the_csp_would_block():
    html = assets()["index.html"].body.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script>"
    assert " style=" not in html and "<style" not in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "a reference to another origin"


async def test_every_file_the_page_and_its_modules_load_is_served_with_its_type(apps):
    client = await apps.client()
    html = await (await client.get("/console")).text()
    wanted = referenced_files(html)
    # Module imports, followed from the entry point.
    for name, asset in assets().items():
        if name.endswith(".js"):
            wanted |= {f"/console/static/{target}" for target in
                       re.findall(r'^import .* from "\./([\w.-]+)";$', asset.body.decode(), re.M)}
    assert "/console/static/main.js" in wanted and "/console/static/api.js" in wanted
    for path in sorted(wanted):
        response = await client.get(path)
        assert response.status == 200, path
        suffix = path[path.rindex("."):]
        assert response.headers["Content-Type"].startswith(EXPECTED_TYPES[suffix]), path
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/console/static/nope.js", "/console/static/index.html",
                                  "/console/static/..%2Fweb.py", "/console/static/__init__.py"])
async def test_anything_else_under_static_is_a_404_envelope(apps, path):
    client = await apps.client()
    response = await client.get(path)
    assert response.status == 404
    body = await response.json()
    assert body["error"]["code"] == "not_found" and body["trace_id"] == response.headers["X-Trace-Id"]


async def test_an_unchanged_file_revalidates_with_a_304(apps):
    client = await apps.client()
    first = await client.get("/console/static/main.js")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = await client.get("/console/static/main.js", headers={"If-None-Match": etag})
    assert again.status == 304 and not await again.read()
    assert (await client.get("/console/static/main.js", headers={"If-None-Match": '"other"'})).status == 200


async def test_a_trailing_slash_redirects_to_the_page_with_a_trace_id(apps):
    client = await apps.client()
    response = await client.get("/console/", allow_redirects=False)
    assert response.status == 301 and response.headers["Location"] == "/console"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Trace-Id"])


async def test_the_console_is_not_part_of_the_api_document(apps):
    client = await apps.client()
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert not any(path.startswith("/console") for path in document["paths"])


def test_the_files_ship_as_package_data(repo_root):
    pyproject = (repo_root / "pyproject.toml").read_text()
    assert '"console/static/*"' in pyproject
    assert {"index.html", "console.css", "main.js", "icon.svg"} <= set(assets())
