"""Observability: KubeGenie's own Prometheus metrics (and, later, clients of Prometheus and Alertmanager)."""
