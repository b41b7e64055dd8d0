"""The one definition of the canary's gates and alerts (`thresholds.yml`) and its reader.

The rollout guard reads it at run time; `devtools/alerting` generates the Prometheus rules, the
Grafana dashboard and the CloudWatch alarms from it.
"""
