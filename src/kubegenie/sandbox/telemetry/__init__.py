"""What a sandbox cluster's monitoring would have recorded: per-container usage series as pure functions of
the usage pattern, seed and time (with a week of history at start-up), the ground truth of what was injected,
Prometheus exposition under cAdvisor and kube-state-metrics names, and OpenMetrics export for backfilling.
Nothing here changes cluster objects.
"""
