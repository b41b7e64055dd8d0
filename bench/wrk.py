"""Drives Debian's `wrk` (C, multi-threaded) for the plain throughput cases.

`wrk` is the independent check on `bench.loadgen`: if the Python client were
the bottleneck, the two would disagree on the bare handler's throughput. The
request (method, JSON body, a rotating `X-User-Id`) is set by a generated Lua
script. Absent `wrk`, the benchmark reports the Python client's figures alone.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_TOTAL = re.compile(r"^\s+(\d+) requests in", re.M)
_SECONDS_PER_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def available() -> bool:
    return shutil.which("wrk") is not None


def _script(method: str, body: bytes | None, user_prefix: str, users: int, headers: Mapping[str, str]) -> str:
    lines = [f"wrk.method = {json.dumps(method)}", 'wrk.headers["Content-Type"] = "application/json"']
    lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body.decode())}")
    if user_prefix:
        lines += [
            "local n = 0",
            "request = function()",
            "  n = n + 1",
            f'  wrk.headers["X-User-Id"] = {json.dumps(user_prefix)} .. (n % {users})',
            "  return wrk.format()",
            "end",
        ]
    return "\n".join(lines) + "\n"


def run(url: str, *, method: str = "POST", body: bytes | None = None, user_prefix: str = "", users: int = 1000,
        connections: int = 64, duration_sec: int = 10, threads: int = 1,
        headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One `wrk` run; returns throughput, p50/p99 and how many answers were not 2xx/3xx."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_script(method, body, user_prefix, users, headers or {}))
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_sec}s", "--latency", "-s", script.name, url],
            capture_output=True, text=True, check=True, timeout=duration_sec + 30,
        ).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    percentiles = {f"p{q}_sec": float(v) * _SECONDS_PER_UNIT[unit] for q, v, unit in _PERCENTILE.findall(out)}
    non_2xx = _NON_2XX.search(out)
    total = _TOTAL.search(out)
    return {"tool": "wrk", "rps": float(_RPS.search(out).group(1)), "requests": int(total.group(1)) if total else None,
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0, **percentiles}
