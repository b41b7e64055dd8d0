"""`babyshield-chat fake-llm`: the server (`server`), its switchable modes (`modes`), its replies (`completions`)."""
