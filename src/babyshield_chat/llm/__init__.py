"""The LLM side of the chat (spec sections 4 and 8).

- :mod:`.synthesizer`: the LLM answer writer and its fallback reasons.
- :mod:`.classifier`: the optional LLM intent classifier.
- :mod:`.structured`: one strict-JSON call under spend cap, retries, breaker and deadline.
- :mod:`.prompt` and :mod:`.schema`: what the model is told and the shape it must answer in.
"""
