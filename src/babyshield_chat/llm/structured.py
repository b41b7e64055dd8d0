"""One structured-output LLM call, made safe: spend cap, retries, breaker, deadline, cost.

Both users of the LLM (the answer synthesizer and the intent classifier) go
through :meth:`StructuredLlm.complete`. The layers, outermost first:

1. the spend cap (:class:`~babyshield_chat.prices.SpendGuard`): refused
   calls raise :class:`SpendCapReached` without touching the provider;
2. retries (:func:`~babyshield_chat.resilience.retry.retry_call`), which only
   start an attempt that fits in the time left;
3. the circuit breaker, once per attempt (see the retry module for why);
4. one HTTP request through ``openai.AsyncOpenAI`` with ``max_retries=0`` and
   ``timeout`` = the time left on the current deadline, sent over aiohttp
   (the SDK's ``DefaultAioHttpClient`` transport: measured about 1.4x the
   full pipeline's throughput of its default transport, see
   docs/performance.md);
5. parsing the reply, where anything but a JSON object the caller's `parse`
   accepts raises :class:`InvalidOutput`.

Every attempt is reported to the :class:`LlmObserver` (outcome, tokens, cost,
duration), so telemetry can count `chat_llm_requests_total`,
`chat_llm_tokens_total` and `chat_llm_cost_usd_total` without seeing any text.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import aiohttp
import httpx2
import openai
import pydantic_core
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from babyshield_chat.resilience.breaker import AsyncCircuitBreaker
from babyshield_chat.resilience.deadline import cancelled_by_deadline, current_deadline
from babyshield_chat.resilience.retry import RetryHook, RetryPolicy, retry_call

from babyshield_chat.prices import DEFAULT_PRICE_TABLE, PriceTable, SpendGuard
from babyshield_chat.llm.schema import response_format
from babyshield_chat.vocabulary import DEFAULT_LLM_MODEL, DEFAULT_MAX_INFLIGHT, LlmOutcome
from babyshield_chat.telemetry.logging import EventLog

__all__ = [
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "RETRY_DEPENDENCY",
    "InvalidOutput",
    "LlmCall",
    "LlmObserver",
    "SpendCapReached",
    "StructuredLlm",
    "create_openai_client",
    "outcome_of",
    "completion_of",
    "post_completion",
    "reply_object",
]

log = EventLog(__name__)

R = TypeVar("R")

DEFAULT_MAX_OUTPUT_TOKENS = 800
#: The `dependency` label of `chat_retries_total` for LLM retries.
RETRY_DEPENDENCY = "llm"
# Only used outside any deadline (scripts, a REPL); the chat pipeline always
# has one, and then the timeout is the time left on it.
DEFAULT_TIMEOUT_SEC = 10.0
DEFAULT_KEEPALIVE_EXPIRY_SEC = 30.0


class InvalidOutput(Exception):
    """The reply was not JSON of the requested shape.

    Messages describe the shape of the problem only, never the reply's text,
    which may quote the parent's question.
    """


class SpendCapReached(Exception):
    """Today's LLM spend has reached the cap; no call was made."""


@dataclass(frozen=True)
class LlmCall:
    """One request to the provider, as telemetry sees it."""

    breaker: str  # "llm:synth" or "llm:router": which use of the LLM made the call
    model: str  # the configured model: a closed set, unlike the provider's reply
    outcome: LlmOutcome
    duration_sec: float
    input_tokens: int
    output_tokens: int
    cost_usd: float


class LlmObserver(Protocol):
    """Telemetry's view of LLM work. Called on the event loop; keep it cheap."""

    def llm_call(self, call: LlmCall) -> None:
        """After every request to the provider, whatever its outcome."""
        ...


def create_openai_client(
    base_url: str | None, api_key: str, *, max_connections: int = DEFAULT_MAX_INFLIGHT
) -> openai.AsyncOpenAI:
    """The provider client: the SDK's own retries off, tenacity owns them (spec section 4).

    `max_connections` bounds the connections to the provider; the app passes
    `BS_MAX_INFLIGHT`, so no admitted request queues for one (the SDK's own
    default stops at 1,000). Close the client (`await client.close()`) when done.
    """
    limits = httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections,
                           keepalive_expiry=DEFAULT_KEEPALIVE_EXPIRY_SEC)
    return openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=DEFAULT_TIMEOUT_SEC,
                              http_client=openai.DefaultAioHttpClient(limits=limits))


async def post_completion(client: openai.AsyncOpenAI, request: dict[str, Any], timeout_sec: float) -> ChatCompletion:
    """`POST /chat/completions` through the client's own `post`.

    `client.chat.completions.create` first walks every argument against the
    SDK's TypedDict annotations to transform it, about 0.4 ms a call for our
    two messages and schema, a quarter of a chat request's CPU here (see
    docs/performance.md). The body is plain JSON already, so it goes straight
    to `post`, the client's documented way to send a request body as is: base
    URL, bearer auth, timeout and error mapping stay the client's. The reply
    comes back as the HTTP response and becomes a `ChatCompletion` in
    `completion_of`.

    The body is handed over as JSON bytes written by pydantic-core: the same
    bytes the client's own `json.dumps` writes (compact, UTF-8), in 9 instead
    of 35 µs for our 4.5 kB request; the client's `content` sends them as they are.
    """
    try:
        response = await client.post("/chat/completions", content=pydantic_core.to_json(request),
                                     cast_to=httpx2.Response,
                                     options={"timeout": timeout_sec, "security": {"bearer_auth": True}})
    except openai.APITimeoutError as exc:
        # The aiohttp transport reports a refused or dropped connection as a
        # connect *timeout*; it is a connection error (outcome, fallback reason).
        if _is_connection_failure(exc):
            raise openai.APIConnectionError(request=exc.request) from exc
        raise
    except aiohttp.ClientError as exc:
        # What the transport does not translate (a reply that is not HTTP, a
        # malformed header) would reach the pipeline as a bug; it is the
        # provider's connection failing, and gets a fallback like one.
        request = httpx2.Request("POST", client.base_url.join("chat/completions"))
        raise openai.APIConnectionError(request=request) from exc
    return completion_of(response)


def completion_of(response: httpx2.Response) -> ChatCompletion:
    """A successful reply's body as a `ChatCompletion`.

    Validated by pydantic-core from the bytes (5 µs) instead of the client's
    own unvalidated construction of nested models in Python (100 µs; about a
    tenth of what the client costs per call, see docs/performance.md). A body
    that validation rejects, a field missing or of another type, is built the
    way the client builds it, unvalidated (and a JSON value that is not an
    object is returned as it is, as the client does), so it fails further on
    as before; a body that is not JSON raises `JSONDecodeError`, as the
    client did.
    """
    try:
        return ChatCompletion.model_validate_json(response.content)
    except ValidationError:
        data = response.json()
        return ChatCompletion.construct(**data) if isinstance(data, dict) else data


def _is_connection_failure(exc: BaseException) -> bool:
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, (aiohttp.ServerTimeoutError, TimeoutError)):
            return False
        if isinstance(cause, (aiohttp.ClientConnectionError, ConnectionError)):
            return True
        cause = cause.__cause__
    return False


def outcome_of(exc: BaseException) -> LlmOutcome:
    """The `chat_llm_requests_total` outcome of a failed request."""
    if isinstance(exc, (InvalidOutput, openai.APIResponseValidationError)):
        return "invalid_output"
    if isinstance(exc, (openai.APITimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection_error"
    if isinstance(exc, openai.APIStatusError) and exc.status_code == 429:
        return "rate_limited"
    # Other error statuses (4xx included) and anything unexpected: the closed
    # label set has no better bucket, and they all mean "the provider said no".
    return "server_error"


# Not the provider's health: an output the model got wrong for this one
# request, or a request we built wrongly. Neither should open the circuit
# for everyone.
_NOT_THE_PROVIDERS_FAULT = (InvalidOutput, openai.BadRequestError, openai.UnprocessableEntityError)


class StructuredLlm:
    """Strict-JSON-schema chat completions under one breaker (`llm:synth`, `llm:router`)."""

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        breaker: AsyncCircuitBreaker,
        model: str = DEFAULT_LLM_MODEL,
        retry_policy: RetryPolicy | None = None,
        prices: PriceTable = DEFAULT_PRICE_TABLE,
        spend_guard: SpendGuard | None = None,
        observer: LlmObserver | None = None,
        on_retry: RetryHook | None = None,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        temperature: float | None = 0.0,
    ) -> None:
        if not model.strip():
            raise ValueError(f"model must be a model name, got {model!r}")
        if isinstance(max_output_tokens, bool) or not isinstance(max_output_tokens, int) or max_output_tokens < 1:
            raise ValueError(f"max_output_tokens must be an integer >= 1, got {max_output_tokens!r}")
        self.model = model
        self.breaker = breaker
        self.retry_policy = retry_policy or RetryPolicy()
        self.observer = observer
        self._client = client
        self._prices = prices
        self._spend_guard = spend_guard
        self._on_retry = on_retry
        self._max_output_tokens = max_output_tokens
        self._temperature = temperature

    async def complete(
        self,
        messages: Sequence[dict[str, str]],
        *,
        schema_name: str,
        schema: dict[str, Any],
        parse: Callable[[dict[str, Any]], R],
    ) -> R:
        """Ask for JSON matching `schema` and return ``parse(reply)``.

        `parse` raises :class:`InvalidOutput` (or a pydantic ValidationError)
        for a reply it cannot use. Raises :class:`SpendCapReached`,
        ``CircuitOpen``, ``BudgetExhausted``, :class:`InvalidOutput`, or the
        openai / timeout error of the last attempt.
        """
        if self._spend_guard is not None and not await self._spend_guard.allow():
            raise SpendCapReached(f"daily LLM spend cap reached; {self.breaker.name} not called")
        request = {
            "model": self.model,
            "messages": list(messages),
            "response_format": response_format(schema_name, schema),
            "max_completion_tokens": self._max_output_tokens,
        }
        if self._temperature is not None:
            request["temperature"] = self._temperature

        async def attempt() -> R:
            return await self.breaker.call(lambda: self._request(request, parse), ignore=_NOT_THE_PROVIDERS_FAULT)

        return await retry_call(attempt, dependency=RETRY_DEPENDENCY, policy=self.retry_policy, on_retry=self._on_retry)

    async def _request(self, request: dict[str, Any], parse: Callable[[dict[str, Any]], R]) -> R:
        deadline = current_deadline()
        timeout_sec = deadline.remaining() if deadline is not None else DEFAULT_TIMEOUT_SEC
        started = time.monotonic()
        input_tokens = output_tokens = 0
        outcome: LlmOutcome | None = None
        try:
            completion = await post_completion(self._client, request, timeout_sec)
            if completion.usage is not None:
                input_tokens = completion.usage.prompt_tokens
                output_tokens = completion.usage.completion_tokens
            # Paid for as soon as it arrived, whether or not the reply is usable.
            await self._spend(self._prices.estimate_cost(self.model, input_tokens, output_tokens))
            content = reply_object(completion)
            try:
                result = parse(content)
            except ValidationError as exc:
                raise InvalidOutput(_describe(exc)) from None
            outcome = "ok"
            return result
        except asyncio.CancelledError:
            # A deadline cancelling the request is a timeout; a client that
            # went away is no outcome of the provider's, so it is not counted.
            outcome = "timeout" if cancelled_by_deadline() else None
            raise
        except Exception as exc:
            outcome = outcome_of(exc)
            raise
        finally:
            if outcome is not None:
                duration_sec = time.monotonic() - started
                cost_usd = self._prices.estimate_cost(self.model, input_tokens, output_tokens)
                self._report(
                    LlmCall(self.breaker.name, self.model, outcome, duration_sec, input_tokens, output_tokens, cost_usd)
                )

    def _report(self, call: LlmCall) -> None:
        if self.observer is None:
            return
        try:
            self.observer.llm_call(call)
        except Exception:
            log.exception("LLM observer failed", breaker=call.breaker)

    async def _spend(self, cost_usd: float) -> None:
        if self._spend_guard is None or cost_usd <= 0:
            return
        try:
            await self._spend_guard.add(cost_usd)
        except Exception:
            # The guard's contract is not to raise; if one does, the answer
            # that was already paid for is still worth returning.
            log.exception("recording LLM spend failed", breaker=self.breaker.name)


def reply_object(completion: Any) -> dict[str, Any]:
    """The JSON object in a chat completion's first choice, or InvalidOutput."""
    if not completion.choices:
        raise InvalidOutput("the reply has no choices")
    choice = completion.choices[0]
    if choice.finish_reason == "length":
        raise InvalidOutput("the reply was cut off at the token limit")
    if choice.finish_reason == "content_filter" or getattr(choice.message, "refusal", None):
        raise InvalidOutput("the model refused to answer")
    content = choice.message.content
    if not content:
        raise InvalidOutput("the reply is empty")
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise InvalidOutput(f"the reply is not JSON ({exc.msg} at position {exc.pos} of {len(content)})") from None
    if not isinstance(data, dict):
        raise InvalidOutput(f"the reply is a JSON {type(data).__name__}, not an object")
    return data


def _describe(exc: ValidationError) -> str:
    # Field paths and error kinds only: pydantic's own message quotes the input.
    problems = set()
    for error in exc.errors(include_input=False):
        loc = error["loc"]
        if error["type"] == "extra_forbidden":
            loc = loc[:-1]  # the unexpected key itself is model-written text
        problems.add(".".join(str(part) for part in loc) + f" ({error['type']})")
    return f"the reply does not match the schema: {', '.join(sorted(problems))}"
