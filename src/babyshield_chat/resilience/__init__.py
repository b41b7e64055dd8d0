"""Resilience primitives of the chat pipeline (spec section 4).

- :mod:`.deadline`: one deadline per request; stages cancelled when their time runs out.
- :mod:`.breaker`: asyncio circuit breakers over pybreaker, one per dependency.
- :mod:`.retry`: retries of transient errors that never outrun the deadline.
"""
