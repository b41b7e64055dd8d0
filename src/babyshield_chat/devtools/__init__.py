"""Tools around the service, not part of it: `serve` never imports this package.

- `fake_llm/`: the OpenAI-compatible fake LLM with faults on demand (`babyshield-chat fake-llm`);
- `soak`: the soak drill (`babyshield-chat soak`);
- `smoke`: the end-to-end check of a running deployment (`babyshield-chat smoke --url URL`);
- `processes` (with `polling`): the one harness that runs the service, the fake LLM and other
  commands as child processes, for the soak drill, the tests and `bench/`;
- `alerting/`: the generators of the alerting files from `alerting/thresholds.yml`
  (`python -m babyshield_chat.devtools.alerting.render`) and the CloudWatch filter-pattern
  evaluator and alarm simulator the tests check those files with.

Only `cli` imports from here, and only inside the verbs that run a tool.
"""
