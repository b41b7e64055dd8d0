"""The peer scenario's stand-ins, each a tiny aiohttp app in its own process.

- `forwarder`: the limit for a Python service in front of an LLM. A bare aiohttp
  handler that reads the request body, sends it as it is to the upstream's
  `/v1/chat/completions` through one shared client session, and answers with
  the upstream's status and body. No middleware, no parsing, no logging.
- `openai-forwarder`: the least a service that must call its LLM through the
  OpenAI client can do (spec section 4, step 5): the forwarder, but the body
  is parsed and sent through the pipeline's own client and call
  (`llm.structured.create_openai_client`, `post_completion`), and the reply's
  JSON object (`reply_object`) is the answer. Not a target: the floor under
  the pipeline's cost that the client sets.
- `fake-llm`: the project's fake LLM (`babyshield_chat.devtools.fake_llm`) with two
  additions for the benchmark. `GET /bench/last-request` gives the body of the
  last chat completion it received: the peer scenario reads it after one
  conversation through the full pipeline, so that LiteLLM and the forwarder
  send the fake the very request the pipeline sends. `POST /bench/fix-answer`
  switches it to a fixed answer: from then on every chat completion is read
  whole and answered with the completion the fake wrote for that last request,
  without parsing or building anything. The fake's own work (parsing the
  request, filling the JSON schema) costs about as much CPU as the bare
  forwarder's whole request; fixed, the fake does the least an LLM endpoint can
  do over HTTP, and the sides are what is measured.

Usage: `python -m bench.peer_servers {forwarder,openai-forwarder,fake-llm} --port PORT [--upstream URL]`.
"""

from __future__ import annotations

import argparse
import json

import aiohttp
from aiohttp import web

HOST = "127.0.0.1"
COMPLETIONS_PATH = "/v1/chat/completions"
LAST_REQUEST_PATH = "/bench/last-request"
FIX_ANSWER_PATH = "/bench/fix-answer"
#: The forwarder's upstream pool: above any connection count the benchmark drives.
UPSTREAM_CONNECTIONS = 4096

_SESSION = web.AppKey("session", aiohttp.ClientSession)
_CLIENT = web.AppKey("openai_client", object)
#: The OpenAI forwarder's time per call, as the pipeline's is the time left on its deadline.
OPENAI_TIMEOUT_SEC = 10.0


def forwarder_app(upstream: str) -> web.Application:
    """`POST /v1/chat/completions` (any path, in fact) forwarded to `upstream` + /v1/chat/completions."""
    target = upstream.rstrip("/") + COMPLETIONS_PATH
    # Its own key to the LLM, as LiteLLM sends the configured `api_key`.
    headers = {"Content-Type": "application/json", "Authorization": "Bearer bench"}

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        async with request.app[_SESSION].post(target, data=body, headers=headers) as upstream_response:
            answer = await upstream_response.read()
            return web.Response(body=answer, status=upstream_response.status, content_type="application/json")

    async def session(app: web.Application):
        connector = aiohttp.TCPConnector(limit=UPSTREAM_CONNECTIONS, limit_per_host=UPSTREAM_CONNECTIONS)
        app[_SESSION] = aiohttp.ClientSession(connector=connector)
        yield
        await app[_SESSION].close()

    return _every_path(forward, session)


def openai_forwarder_app(upstream: str) -> web.Application:
    """`POST /v1/chat/completions` (any path) through the OpenAI client as the pipeline calls it; the reply's object."""
    # Imported here: the plain forwarder's process loads nothing of the project.
    from babyshield_chat.llm.structured import create_openai_client, post_completion, reply_object

    async def forward(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        completion = await post_completion(request.app[_CLIENT], body, OPENAI_TIMEOUT_SEC)
        return web.Response(body=json.dumps(reply_object(completion)).encode(), content_type="application/json")

    async def client(app: web.Application):
        app[_CLIENT] = create_openai_client(upstream.rstrip("/") + "/v1", "bench")
        yield
        await app[_CLIENT].close()

    return _every_path(forward, client)


def _every_path(handler, resource) -> web.Application:
    """An app answering every method and path with `handler`, `resource` in its cleanup context."""
    app = web.Application()
    app.cleanup_ctx.append(resource)
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


def recording_fake_app() -> web.Application:
    """The project's fake LLM, with a read-back of its last chat request and a fixed-answer switch."""
    # Imported here: the forwarder's process loads nothing of the project.
    from babyshield_chat.devtools.fake_llm.completions import completion_body, prompt_tokens, reply_content
    from babyshield_chat.devtools.fake_llm.server import STATE, create_fake_llm_app

    fixed: list[bytes] = []  # empty: the fake answers as it always does

    async def last_request(request: web.Request) -> web.Response:
        body = request.app[STATE].last_request
        if body is None:
            raise web.HTTPNotFound(text="no chat completion received yet")
        return web.json_response(body)

    async def fix_answer(request: web.Request) -> web.Response:
        body = request.app[STATE].last_request
        if body is None:
            raise web.HTTPConflict(text="no chat completion received yet: nothing to fix the answer to")
        completion = completion_body(str(body.get("model")), reply_content(body), prompt_tokens=prompt_tokens(body),
                                     sequence=0)
        fixed[:] = [json.dumps(completion).encode()]
        return web.Response(body=fixed[0], content_type="application/json")

    @web.middleware
    async def fixed_answer(request: web.Request, handler):
        if fixed and request.path == COMPLETIONS_PATH:
            request.app[STATE].chat_completions += 1  # still counted: calls per request is a check
            await request.read()
            return web.Response(body=fixed[0], content_type="application/json")
        return await handler(request)

    app = create_fake_llm_app()
    app.middlewares.append(fixed_answer)
    app.router.add_get(LAST_REQUEST_PATH, last_request)
    app.router.add_post(FIX_ANSWER_PATH, fix_answer)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peer_servers")
    parser.add_argument("kind", choices=("forwarder", "openai-forwarder", "fake-llm"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", help="forwarder: the LLM's base URL, e.g. http://127.0.0.1:PORT")
    args = parser.parse_args(argv)
    if args.kind in ("forwarder", "openai-forwarder"):
        if not args.upstream:
            parser.error(f"{args.kind} needs --upstream")
        app = forwarder_app(args.upstream) if args.kind == "forwarder" else openai_forwarder_app(args.upstream)
    else:
        app = recording_fake_app()
    # handler_cancellation, as `run_fake_llm`: a client that gives up cancels the handler.
    web.run_app(app, host=HOST, port=args.port, access_log=None, print=None, backlog=4096,
                handler_cancellation=True)


if __name__ == "__main__":
    main()
