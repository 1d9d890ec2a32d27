"""Example questions per intent: shown by help, as clickable prompts in the web UI, and in the README tour."""

from __future__ import annotations

from kubegenie.domain.intents import Intent

EXAMPLES: dict[Intent, tuple[str, ...]] = {
    Intent.CLUSTER_OVERVIEW: ("how is the cluster doing?", "cluster overview"),
    Intent.LIST_RESOURCES: ("which pods are failing?", "list deployments in shop", "pods on node worker-1",
                            "kubectl get po -n payments -o wide"),
    Intent.COUNT_RESOURCES: ("how many pods run in payments?",),
    Intent.GET_RESOURCE: ("get deployment checkout in shop",),
    Intent.DESCRIBE_RESOURCE: ("describe the checkout pod", "tell me about service web in shop"),
    Intent.POD_LOGS: ("show the logs of checkout", "errors in the payments-api logs in the last hour"),
    Intent.TOP: ("which pods use the most memory?", "top nodes"),
    Intent.NODE_STATUS: ("are all nodes healthy?", "status of node worker-2"),
    Intent.LIST_EVENTS: ("warning events in shop",),
    Intent.API_RESOURCES: ("what API resources does the cluster serve?",),
    Intent.LIST_CLUSTERS: ("which clusters do you know?",),
    Intent.HELP: ("help", "what can you do?"),
    Intent.HEALTH_CHECK: ("is anything unhealthy?", "any anomalies in the last day?"),
    Intent.DIAGNOSE: ("why is checkout crashing?", "why is batch-0 pending?"),
    Intent.WHAT_CHANGED: ("what changed since yesterday?",),
    Intent.COST_REPORT: ("what does the shop namespace cost per month?", "where are we wasting money?"),
    Intent.SECURITY_AUDIT: ("is anything running as root?", "security audit"),
    Intent.SCALE: ("scale web in shop to 3 replicas",),
    Intent.RESTART: ("restart deployment checkout in shop",),
    Intent.DRAIN: ("drain node worker-3",),
    Intent.CORDON: ("cordon worker-3",),
    Intent.UNCORDON: ("uncordon worker-3",),
    Intent.PROVISION: ("give me a Postgres database in AWS",),
    Intent.CLUSTER_REPORT: ("full report on the prod cluster",),
}

TOUR: tuple[str, ...] = ("how is the cluster doing?", "which pods are failing?", "why is checkout crashing?",
                         "what does the shop namespace cost per month?", "is anything running as root?",
                         "show the logs of checkout", "top pods by memory", "scale web in shop to 3 replicas")
"""The questions the README's 60-second tour and the UI's first prompts walk through."""
