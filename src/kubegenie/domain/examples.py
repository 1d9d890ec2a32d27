"""Example questions per intent: shown by help, as clickable prompts in the web UI, and in the README tour."""

from __future__ import annotations

from kubegenie.domain.intents import Intent

EXAMPLES: dict[Intent, tuple[str, ...]] = {
    Intent.CLUSTER_OVERVIEW: ("how is the cluster doing?", "cluster overview"),
    Intent.LIST_RESOURCES: ("which pods are failing?", "list deployments in shop",
                            "pods on node ip-10-0-17-41.ec2.internal", "kubectl get po -n payments -o wide"),
    Intent.COUNT_RESOURCES: ("how many pods run in payments?",),
    Intent.GET_RESOURCE: ("get deployment catalog-api in shop",),
    Intent.DESCRIBE_RESOURCE: ("describe deployment payment-gateway in payments",
                               "tell me about service legacy-catalog in shop"),
    Intent.POD_LOGS: ("show the logs of payment-gateway", "errors in the search-api logs in the last hour"),
    Intent.TOP: ("which pods use the most memory?", "top nodes"),
    Intent.NODE_STATUS: ("are all nodes healthy?", "status of node ip-10-0-17-41.ec2.internal"),
    Intent.LIST_EVENTS: ("warning events in shop",),
    Intent.API_RESOURCES: ("what API resources does the cluster serve?",),
    Intent.LIST_CLUSTERS: ("which clusters do you know?",),
    Intent.HELP: ("help", "what can you do?"),
    Intent.HEALTH_CHECK: ("is anything unhealthy?", "any anomalies in the last day?"),
    Intent.DIAGNOSE: ("why is payment-gateway crashing?", "why is the reports-archive volume pending?"),
    Intent.WHAT_CHANGED: ("what changed since yesterday?",),
    Intent.COST_REPORT: ("what does the shop namespace cost per month?", "where are we wasting money?"),
    Intent.SECURITY_AUDIT: ("is anything running as root?", "security audit"),
    Intent.SCALE: ("scale catalog-api in shop to 3 replicas",),
    Intent.RESTART: ("restart deployment search-api in shop",),
    Intent.DRAIN: ("drain node ip-10-0-62-117.ec2.internal",),
    Intent.CORDON: ("cordon ip-10-0-62-117.ec2.internal",),
    Intent.UNCORDON: ("uncordon ip-10-0-62-117.ec2.internal",),
    Intent.PROVISION: ("give me a Postgres database in AWS",),
    Intent.CLUSTER_REPORT: ("full report on the prod cluster",),
}

TOUR: tuple[str, ...] = ("how is the cluster doing?", "which pods are failing?",
                         "why is payment-gateway crashing?",
                         "what does the shop namespace cost per month?", "is anything running as root?",
                         "show the logs of payment-gateway", "top pods by memory",
                         "scale catalog-api in shop to 3 replicas")
"""The questions the README's 60-second tour and the UI's first prompts walk through."""
