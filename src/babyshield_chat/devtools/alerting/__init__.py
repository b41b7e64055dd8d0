"""Files generated from `alerting/thresholds.yml` (`render`, `rules`, `grafana`, `cloudformation`, `generated`),
and the CloudWatch filter-pattern evaluator and alarm simulator that check them (`cloudwatch_patterns`,
`cloudwatch_alarms`)."""
