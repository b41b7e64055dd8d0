"""The project's benchmark: `bench/run` measures the targets of spec section 9.

Modules, one job each:

- `run`: the command line; runs the scenarios and prints the table (`--json` for machines).
- `stack`: starts and stops the processes a scenario needs (PostgreSQL, the service,
  the fake LLM, the bare reference handler, the OTLP sink).
- `service`: runs the service the way `babyshield-chat serve` does, with a chosen telemetry.
- `servers`: the stand-ins: the bare aiohttp JSON handler, the fake LLM, an OTLP sink.
- `loadgen`: the asyncio load generator (closed loop, burst, probe), run in a process of its own.
- `openloop`: the open-loop generator (Poisson arrivals on schedule, send lag reported).
- `wrk`: drives Debian's `wrk` for the plain throughput cases, as a check on `loadgen`.
- `scenarios`: gate, telemetry, burst, deadline, breaker, scaling.
- `sustained`: open-loop load at 60% of the measured maximum, LLM at 1.0 s.
- `freeze`: the deadline with PostgreSQL frozen (SIGSTOP) mid-traffic.
- `peers`: the full pipeline beside the LiteLLM proxy and a bare forwarder;
  `litellm_proxy` installs and starts LiteLLM in `.bench-venv/`, `peer_servers`
  holds the forwarder and the fake LLM with its fixed-answer switch.
- `report`: the table and the JSON document.
- `answers/`: the answer benchmark (`bench/answers/run`, docs/answers.md), a package of its own.

Performance is measured, never asserted in tests: no test runs a scenario. The
test suite does run the answer benchmark (`tests/answers/`, once over every
case, on `stack`'s throwaway PostgreSQL with the real recall data) to check
that the runner gives every case a verdict, never that the cases pass.
"""
