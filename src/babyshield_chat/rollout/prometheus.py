"""A small client for Prometheus' HTTP API: instant queries, and nothing that can lie.

The rollout guard asks Prometheus one number per gate. Whatever goes wrong
(Prometheus down or slow, an HTTP or PromQL error, an empty result, NaN or
±Inf, a body that is not Prometheus JSON) comes back as a `Sample` with
`value=None` and a `problem` saying what happened, never as an exception and
never as 0: for the guard, no data is never green.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import aiohttp

DEFAULT_TIMEOUT_SEC = 5.0


@dataclasses.dataclass(frozen=True)
class Sample:
    """One instant value; `value` is None exactly when `problem` says why."""

    query: str
    value: float | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


class PrometheusClient:
    """Instant queries against `base_url` (e.g. http://127.0.0.1:9090)."""

    def __init__(self, base_url: str, *, session: aiohttp.ClientSession | None = None,
                 timeout_sec: float = DEFAULT_TIMEOUT_SEC) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the Prometheus URL must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout_sec)

    async def __aenter__(self) -> PrometheusClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def query(self, expr: str, at: dt.datetime | None = None) -> Sample:
        """The value of `expr` at `at` (now by default); the largest when several series answer."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.get(f"{self.base_url}/api/v1/query", params=params,
                                         timeout=self._timeout) as response:
                try:
                    body = await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    return Sample(expr, None, f"HTTP {response.status}: the answer is not Prometheus JSON")
        except TimeoutError:
            return Sample(expr, None, f"Prometheus did not answer within {self._timeout.total:g} s")
        except aiohttp.ClientError as exc:
            return Sample(expr, None, f"Prometheus is not reachable at {self.base_url}: {type(exc).__name__}")
        return _sample(expr, response.status, body)


def _sample(expr: str, status: int, body: Any) -> Sample:
    if not isinstance(body, dict):
        return Sample(expr, None, f"HTTP {status}: unexpected answer {str(body)[:80]!r}")
    if body.get("status") != "success":
        return Sample(expr, None, f"HTTP {status}: {body.get('errorType', 'error')}: {body.get('error', 'no detail')}")
    data = body.get("data") or {}
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        values = [_number(result)]
    elif kind == "vector" and isinstance(result, list):
        values = [_number(item.get("value")) for item in result if isinstance(item, dict)]
    else:
        return Sample(expr, None, f"expected an instant vector or scalar, got {kind!r}")
    if not values:
        return Sample(expr, None, "no data (empty result)")
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if len(finite) != len(values):
        # One NaN series (0/0 at zero traffic) makes the whole answer unknown, not the others' max.
        return Sample(expr, None, "no data (NaN or infinite value)")
    return Sample(expr, max(finite))


def _number(pair: object) -> float | None:
    # Prometheus sends [<unix time>, "<value as string>"]; "NaN" and "+Inf" parse as floats.
    if not isinstance(pair, list) or len(pair) != 2:
        return None
    try:
        return float(pair[1])
    except (TypeError, ValueError):
        return None
