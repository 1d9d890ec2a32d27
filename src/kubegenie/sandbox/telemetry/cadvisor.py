"""cAdvisor's container families as the kubelet's /metrics/cadvisor endpoint serves them (labels
`container`, `id`, `image`, `name`, `namespace`, `pod`, plus the `node` a scrape config adds), for running
containers only: the CPU counter of the current run, working set and related memory gauges, CPU and
memory limits, start times, and each node's machine size. Pod-level cgroups are not exposed, so
`sum by (namespace) (rate(container_cpu_usage_seconds_total[5m]))` counts every container once.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubegenie.sandbox.store import Store
from kubegenie.sandbox.telemetry import series
from kubegenie.sandbox.telemetry.exposition import Family, Labels
from kubegenie.sandbox.telemetry.history import ContainerSeries
from kubegenie.sandbox.telemetry.ksm_pods import quantity_value

CFS_PERIOD_MICROSECONDS = 100_000
PAGE_CACHE_FACTOR = 1.12
"""container_memory_usage_bytes counts page cache on top of the working set."""
RSS_FACTOR = 0.86


def cgroup_id(item: ContainerSeries) -> str:
    """The container's cgroup path, by QoS class, as cAdvisor labels it."""
    qos = {"Guaranteed": "", "Burstable": "burstable/", "BestEffort": "besteffort/"}.get(item.qos, "besteffort/")
    short = item.container_id.rpartition("://")[2]
    return f"/kubepods/{qos}pod{item.pod_uid}/{short}"


def container_labels(item: ContainerSeries) -> Labels:
    return (("container", item.container), ("id", cgroup_id(item)), ("image", item.image),
            ("name", item.container_id.rpartition("://")[2]), ("namespace", item.namespace), ("node", item.node),
            ("pod", item.pod))


def container_families(containers: Iterable[ContainerSeries], now: float) -> list[Family]:
    cpu = Family("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.")
    working_set = Family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.")
    usage = Family("container_memory_usage_bytes", "gauge",
                   "Current memory usage in bytes, including all memory regardless of when it was accessed")
    rss = Family("container_memory_rss", "gauge", "Size of RSS in bytes.")
    memory_limit = Family("container_spec_memory_limit_bytes", "gauge", "Memory limit for the container.")
    quota = Family("container_spec_cpu_quota", "gauge", "CPU quota of the container.")
    period = Family("container_spec_cpu_period", "gauge", "CPU period of the container.")
    started = Family("container_start_time_seconds", "gauge", "Start time of the container since unix epoch in "
                     "seconds.")
    for item in containers:
        run = item.run_at(now)
        if run is None:
            continue
        labels = container_labels(item)
        spec = item.spec
        cpu.add_labels(labels, round(series.cpu_seconds(spec, run.start, now), 6))
        memory = series.memory_bytes(spec, now, run.start)
        working_set.add_labels(labels, float(int(memory)))
        usage.add_labels(labels, float(int(memory * PAGE_CACHE_FACTOR)))
        rss.add_labels(labels, float(int(memory * RSS_FACTOR)))
        memory_limit.add_labels(labels, spec.memory_limit or 0.0)
        if spec.cpu_limit is not None:
            quota.add_labels(labels, float(int(spec.cpu_limit * CFS_PERIOD_MICROSECONDS / 1000)))
            period.add_labels(labels, float(CFS_PERIOD_MICROSECONDS))
        started.add_labels(labels, run.start)
    return [cpu, working_set, usage, rss, memory_limit, quota, period, started]


def machine_families(store: Store) -> list[Family]:
    cores = Family("machine_cpu_cores", "gauge", "Number of logical CPU cores.")
    memory = Family("machine_memory_bytes", "gauge", "Amount of memory installed on the machine.")
    for node in store.list_sorted("nodes"):
        capacity = (node.get("status") or {}).get("capacity") or {}
        name = str(node["metadata"]["name"])
        for family, key in ((cores, "cpu"), (memory, "memory")):
            value = quantity_value(capacity.get(key))
            if value is not None:
                family.add(value, node=name)
    return [cores, memory]
