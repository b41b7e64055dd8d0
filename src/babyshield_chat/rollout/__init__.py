"""The rollout guard (spec section 7): policy, decision, Prometheus gates, the `rollout` CLI verbs."""
