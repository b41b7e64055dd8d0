"""The project's benchmark: `bench/run` measures the five targets of spec section 9.

Modules, one job each:

- `run`: the command line; runs the scenarios and prints the table (`--json` for machines).
- `stack`: starts and stops the processes a scenario needs (PostgreSQL, the service,
  the fake LLM, the bare reference handler, the OTLP sink).
- `service`: runs the service the way `babyshield-chat serve` does, with a chosen telemetry.
- `servers`: the stand-ins: the bare aiohttp JSON handler, the fake LLM, an OTLP sink.
- `loadgen`: the asyncio load generator, run in a process of its own.
- `wrk`: drives Debian's `wrk` for the plain throughput cases, as a check on `loadgen`.
- `scenarios`: the five measurements.
- `report`: the table and the JSON document.
- `answers/`: the answer benchmark (`bench/answers/run`, docs/answers.md), a package of its own.

Performance is measured, never asserted in tests: no test runs a scenario. The
test suite does run the answer benchmark (`tests/answers/`, once over every
case, on `stack`'s throwaway PostgreSQL with the real recall data) to check
that the runner gives every case a verdict, never that the cases pass.
"""
