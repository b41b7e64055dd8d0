"""The answer benchmark (spec 4b.11): what a parent must be able to rely on, case by case.

`bench/answers/run` (docs/answers.md) sends every case of `cases.yml` through
the real HTTP API of an app built by the project's factory, on a throwaway
PostgreSQL holding the real recall data, and prints the pass rate per
category and every failure with the first sentence of its answer.

Modules, one job each:

- `cases`: the cases file's schema, its categories, loading and validating it.
- `judge`: one answer against its case and the invariants every answer keeps (pure).
- `service`: the app and, for the `fallback` and `llm` writers, the fake LLM.
- `runner`: sending each case (profile first) and judging the reply.
- `report`: the table and the JSON document.
- `cli`: the command line; `run_benchmark` is what the command and the tests call.

Unlike the performance benchmark, this one is also run by the test suite
(`tests/answers/`), which checks that the runner works, not that the cases pass.
"""
