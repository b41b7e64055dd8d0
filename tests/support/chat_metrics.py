"""A stand-in for the service's /metrics: chat traffic whose health the test dials up and down.

It serves the metrics the rollout gates read (`chat_requests_total`,
`chat_request_duration_seconds`, `chat_tool_duration_seconds`,
`chat_synth_duration_seconds`, `chat_feedback_total`,
`chat_llm_cost_usd_total`) in Prometheus text format. Counters advance
with wall time at `rps` requests per second, split by the current error and
circuit-open ratios, and every request takes `latency` seconds; parents vote
on `vote_ratio` of the requests, `unhelpful_ratio` of them thumbs down, and
each request costs `usd_per_request`; so a real Prometheus scraping it
computes the rates, p95s, vote shares and spend the test set.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REQUEST_BUCKETS = (0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 2.8, 3, 4, 5, 10)
TOOL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.8, 1.2, 2)
SYNTH_BUCKETS = (0.25, 0.5, 1, 1.5, 2, 2.5, 3)
TOOL_LATENCY = 0.1
SYNTH_LATENCY = 0.5


@dataclasses.dataclass
class Traffic:
    rps: float = 0.0
    error_ratio: float = 0.0
    circuit_ratio: float = 0.0
    latency: float = 0.2
    vote_ratio: float = 0.5
    unhelpful_ratio: float = 0.05
    usd_per_request: float = 0.0


class ChatMetrics:
    def __init__(self) -> None:
        self.traffic = Traffic()
        self._lock = threading.Lock()
        self._last = time.monotonic()
        self._requests: dict[tuple[str, str], float] = defaultdict(float)
        self._durations: dict[tuple[str, float], float] = defaultdict(float)  # (outcome, latency) -> count
        # Every vote series from the start, at 0, as the service exports them.
        self._votes: dict[str, float] = {"true": 0.0, "false": 0.0}  # helpful -> votes
        self._cost = 0.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def target(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def set(self, **changes: float) -> None:
        with self._lock:
            self._advance()
            self.traffic = dataclasses.replace(self.traffic, **changes)

    def _advance(self) -> None:
        now = time.monotonic()
        n, self._last = self.traffic.rps * (now - self._last), now
        t = self.traffic
        errors, opens = n * t.error_ratio, n * t.circuit_ratio
        self._requests[("error", "closed")] += errors
        self._requests[("ok", "open")] += opens
        self._requests[("ok", "closed")] += n - errors - opens
        self._requests[("blocked", "closed")] += n  # the 90% a 10% rollout turns away, roughly
        self._durations[("error", t.latency)] += errors
        self._durations[("ok", t.latency)] += n - errors
        votes = n * t.vote_ratio
        self._votes["false"] += votes * t.unhelpful_ratio
        self._votes["true"] += votes * (1 - t.unhelpful_ratio)
        self._cost += n * t.usd_per_request

    def render(self) -> str:
        with self._lock:
            self._advance()
            lines = ["# TYPE chat_requests_total counter"]
            for (outcome, circuit), value in sorted(self._requests.items()):
                lines.append(f'chat_requests_total{{endpoint="conversation",intent="recall_details",'
                             f'outcome="{outcome}",circuit="{circuit}"}} {value:.3f}')
            lines += _histogram("chat_request_duration_seconds", REQUEST_BUCKETS,
                                {f'endpoint="conversation",outcome="{o}"': [(lat, c) for (oo, lat), c in
                                                                            self._durations.items() if oo == o]
                                 for o in ("ok", "error")})
            served = sum(c for c in self._durations.values())
            lines += _histogram("chat_tool_duration_seconds", TOOL_BUCKETS,
                                {'tool="recall_lookup",outcome="ok"': [(TOOL_LATENCY, served)]})
            lines += _histogram("chat_synth_duration_seconds", SYNTH_BUCKETS,
                                {'model="gpt-4o-mini",outcome="ok"': [(SYNTH_LATENCY, served)]})
            lines.append("# TYPE chat_feedback_total counter")
            for helpful, votes in self._votes.items():
                reason = "none" if helpful == "true" else "wrong"
                lines.append(f'chat_feedback_total{{helpful="{helpful}",intent="recall_details",reason="{reason}"}} '
                             f"{votes:.3f}")
            lines.append("# TYPE chat_llm_cost_usd_total counter")
            lines.append(f'chat_llm_cost_usd_total{{model="gpt-4o-mini"}} {self._cost:.6f}')
            return "\n".join(lines) + "\n"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        metrics = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = metrics.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def _histogram(name: str, buckets: tuple[float, ...], series: dict[str, list[tuple[float, float]]]) -> list[str]:
    lines = [f"# TYPE {name} histogram"]
    for labels, observations in series.items():
        for le in buckets:
            count = sum(c for latency, c in observations if latency <= le)
            lines.append(f'{name}_bucket{{{labels},le="{le}"}} {count:.3f}')
        total = sum(c for _, c in observations)
        lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {total:.3f}')
        lines.append(f"{name}_count{{{labels}}} {total:.3f}")
        lines.append(f"{name}_sum{{{labels}}} {sum(lat * c for lat, c in observations):.3f}")
    return lines
