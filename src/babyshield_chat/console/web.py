"""Serving the console's files: the page at `/console`, its assets under `/console/static/`.

The files ship inside the package (`static/`, package data) and are read
once, at the first request, into memory: a closed set of names, so a path
outside it (`..`, a name that is not there) is a 404 and the file system is
never consulted per request. Each answer carries an ETag (a hash of the
bytes) and `Cache-Control: no-cache`, so a browser revalidates and an
upgraded service is picked up at the next load, with a 304 when nothing
changed.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

from aiohttp import web

from babyshield_chat.api.errors import not_found

CONSOLE_PATH = "/console"
STATIC_PREFIX = CONSOLE_PATH + "/static/"

# Only the service itself: no inline script or style, no other origin, no framing.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",  # module scripts need a JavaScript type
    ".svg": "image/svg+xml",
}
INDEX = "index.html"


class Asset:
    """One file of the console, in memory."""

    def __init__(self, name: str, body: bytes) -> None:
        self.name = name
        self.body = body
        self.content_type = CONTENT_TYPES[name[name.rindex("."):]]
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@functools.cache
def assets() -> dict[str, Asset]:
    """Every file of `static/` whose type the console serves, by name."""
    folder = resources.files(__package__) / "static"
    found = {}
    for entry in folder.iterdir():
        suffix = entry.name[entry.name.rfind("."):] if "." in entry.name else ""
        if entry.is_file() and suffix in CONTENT_TYPES:
            found[entry.name] = Asset(entry.name, entry.read_bytes())
    return found


def _answer(request: web.Request, asset: Asset) -> web.Response:
    headers = {**SECURITY_HEADERS, "ETag": asset.etag}
    if asset.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    response = web.Response(body=asset.body, headers=headers)
    response.headers["Content-Type"] = asset.content_type
    return response


async def get_console(request: web.Request) -> web.Response:
    return _answer(request, assets()[INDEX])


async def get_console_slash(request: web.Request) -> web.Response:
    # Returned, not raised: a raised redirect would skip the middleware that adds X-Trace-Id.
    return web.Response(status=301, headers={"Location": CONSOLE_PATH})


async def get_static(request: web.Request) -> web.Response:
    asset = assets().get(request.match_info["name"])
    if asset is None or asset.name == INDEX:
        raise not_found("There is no such console file.")
    return _answer(request, asset)


def add_routes(app: web.Application) -> None:
    """The console's routes; they are not part of the API, so not in the OpenAPI document."""
    app.router.add_get(CONSOLE_PATH, get_console)
    app.router.add_get(CONSOLE_PATH + "/", get_console_slash)
    app.router.add_get(STATIC_PREFIX + "{name}", get_static)
