"""The failure conditions of k8sgpt's core analyzers (research/diagnostics-anchors.md section 1.2), checked the
way k8sgpt checks them, over the official Python client: every object of each kind is listed, and each
condition it meets becomes a Finding. A test compares what a cluster shows against what it should show.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubernetes import client

WAITING_REASONS = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "ErrImageNeverPull", "InvalidImageName",
                   "ImageInspectError", "CreateContainerConfigError", "CreateContainerError", "PreCreateHookError",
                   "PreStartHookError", "RunContainerError")
NODE_PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
STANDARD_NODE_CONDITIONS = ("Ready", *NODE_PRESSURE)


@dataclass(frozen=True)
class Finding:
    analyzer: str
    """Pod, Deployment, ReplicaSet, ... as k8sgpt names its analyzers."""
    condition: str
    """A short name of the condition, e.g. "scheduling-gated"."""
    name: str
    """`namespace/name`, or the name of a cluster-scoped object."""
    text: str


class Cluster:
    """Everything the analyzers read, listed once."""

    def __init__(self, api: client.ApiClient) -> None:
        core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
        batch, networking = client.BatchV1Api(api), client.NetworkingV1Api(api)
        admission = client.AdmissionregistrationV1Api(api)
        storage = client.StorageV1Api(api)
        self.pods = core.list_pod_for_all_namespaces().items
        self.events = core.list_event_for_all_namespaces().items
        self.services = core.list_service_for_all_namespaces().items
        self.endpoints = core.list_endpoints_for_all_namespaces().items
        self.claims = core.list_persistent_volume_claim_for_all_namespaces().items
        self.config_maps = core.list_config_map_for_all_namespaces().items
        self.secrets = core.list_secret_for_all_namespaces().items
        self.nodes = core.list_node().items
        self.deployments = apps.list_deployment_for_all_namespaces().items
        self.replica_sets = apps.list_replica_set_for_all_namespaces().items
        self.daemon_sets = apps.list_daemon_set_for_all_namespaces().items
        self.stateful_sets = apps.list_stateful_set_for_all_namespaces().items
        self.jobs = batch.list_job_for_all_namespaces().items
        self.cron_jobs = batch.list_cron_job_for_all_namespaces().items
        self.ingresses = networking.list_ingress_for_all_namespaces().items
        self.ingress_classes = networking.list_ingress_class().items
        self.storage_classes = storage.list_storage_class().items
        self.validating = admission.list_validating_webhook_configuration().items
        self.mutating = admission.list_mutating_webhook_configuration().items
        self._events: defaultdict[tuple[str, str], list[Any]] = defaultdict(list)
        for event in self.events:
            involved = event.involved_object
            self._events[(involved.namespace or "", involved.name or "")].append(event)

    def latest_event(self, namespace: str, name: str) -> Any | None:
        """util.FetchLatestEvent: the event about `name` with the latest lastTimestamp."""
        found = self._events.get((namespace, name)) or []
        return max(found, key=_event_time, default=None)

    def events_of(self, namespace: str, name: str) -> list[Any]:
        return list(self._events.get((namespace, name)) or [])

    def names(self, items: list[Any]) -> set[tuple[str, str]]:
        return {(item.metadata.namespace or "", item.metadata.name) for item in items}


def _event_time(event: Any) -> datetime:
    stamp = event.last_timestamp or event.event_time or event.first_timestamp or event.metadata.creation_timestamp
    assert isinstance(stamp, datetime)
    return stamp


def _key(obj: Any) -> str:
    namespace = obj.metadata.namespace
    return f"{namespace}/{obj.metadata.name}" if namespace else str(obj.metadata.name)


# --- analyzers ------------------------------------------------------------------------------------------------

def pods(c: Cluster) -> Iterator[Finding]:
    for pod in c.pods:
        key, status = _key(pod), pod.status
        if status.phase == "Pending":
            for cond in status.conditions or []:
                if cond.type == "PodScheduled" and cond.reason == "Unschedulable" and cond.message:
                    yield Finding("Pod", "unschedulable", key, cond.message)
                if cond.type == "PodScheduled" and cond.reason == "SchedulingGated":
                    yield Finding("Pod", "scheduling-gated", key, cond.message or "blocked by scheduling gates")
        if status.reason == "Evicted":
            yield Finding("Pod", "evicted", key, status.message or f"Pod {pod.metadata.name} has been evicted")
        for container in (status.init_container_statuses or []) + (status.container_statuses or []):
            waiting = container.state.waiting if container.state else None
            running = container.state.running if container.state else None
            terminated = container.state.terminated if container.state else None
            if waiting is not None:
                if waiting.reason == "ContainerCreating" and status.phase == "Pending":
                    event = c.latest_event(pod.metadata.namespace, pod.metadata.name)
                    if event is not None and event.reason in ("FailedCreatePodSandBox", "FailedMount"):
                        yield Finding("Pod", "container-creating", key, event.message)
                elif waiting.reason == "CrashLoopBackOff" and container.last_state \
                        and container.last_state.terminated:
                    yield Finding("Pod", "crash-loop", key, f"the last termination reason is "
                                  f"{container.last_state.terminated.reason} container={container.name}")
                elif waiting.reason in WAITING_REASONS and waiting.message:
                    yield Finding("Pod", "waiting", key, f"{waiting.reason}: {waiting.message}")
            elif terminated is not None and terminated.exit_code:
                yield Finding("Pod", "terminated", key, f"the termination reason is {terminated.reason} "
                              f"exitCode={terminated.exit_code} container={container.name}")
            elif running is not None and not container.ready:
                event = c.latest_event(pod.metadata.namespace, pod.metadata.name)
                if event is not None and event.reason == "Unhealthy":
                    yield Finding("Pod", "not-ready", key, event.message)


def deployments(c: Cluster) -> Iterator[Finding]:
    for deployment in c.deployments:
        spec, status, key = deployment.spec, deployment.status, _key(deployment)
        if (status.replicas or 0) > spec.replicas:
            yield Finding("Deployment", "replicas", key, "status not yet updated after scaling")
        elif spec.replicas != (status.ready_replicas or 0):
            yield Finding("Deployment", "replicas", key, f"Deployment {key} has {spec.replicas} replicas but "
                          f"{status.ready_replicas or 0} are available")
        for cond in status.conditions or []:
            if cond.type == "Progressing" and cond.status == "False":
                yield Finding("Deployment", "progressing", key, f"{cond.reason}: {cond.message}")


def replica_sets(c: Cluster) -> Iterator[Finding]:
    for rs in c.replica_sets:
        if (rs.status.replicas or 0) != 0:
            continue
        for cond in rs.status.conditions or []:
            if cond.type == "ReplicaFailure" and cond.reason == "FailedCreate":
                yield Finding("ReplicaSet", "failed-create", _key(rs), cond.message)


def daemon_sets(c: Cluster) -> Iterator[Finding]:
    secrets = c.names(c.secrets)
    for ds in c.daemon_sets:
        key, status = _key(ds), ds.status
        if (status.number_ready or 0) < status.desired_number_scheduled:
            yield Finding("DaemonSet", "not-ready", key, f"{status.number_ready or 0} of "
                          f"{status.desired_number_scheduled} pods are ready")
        for ref in ds.spec.template.spec.image_pull_secrets or []:
            if (ds.metadata.namespace, ref.name) not in secrets:
                yield Finding("DaemonSet", "pull-secret", key, f"imagePullSecret {ref.name} does not exist")


def stateful_sets(c: Cluster) -> Iterator[Finding]:
    services, classes = c.names(c.services), {sc.metadata.name for sc in c.storage_classes}
    pods = {(pod.metadata.namespace, pod.metadata.name): pod for pod in c.pods}
    for sts in c.stateful_sets:
        key, namespace = _key(sts), sts.metadata.namespace
        if sts.spec.service_name and (namespace, sts.spec.service_name) not in services:
            yield Finding("StatefulSet", "service", key, f"StatefulSet uses the service {namespace}/"
                          f"{sts.spec.service_name} which does not exist")
        for template in sts.spec.volume_claim_templates or []:
            wanted = template.spec.storage_class_name
            if wanted and wanted not in classes:
                yield Finding("StatefulSet", "storage-class", key, f"StatefulSet uses the storage class {wanted} "
                              f"which does not exist")
        if sts.spec.replicas == (sts.status.available_replicas or 0):
            continue
        first = pods.get((namespace, f"{sts.metadata.name}-0"))
        if first is None:
            event = c.latest_event(namespace, sts.metadata.name)
            if event is not None and event.type != "Normal":
                yield Finding("StatefulSet", "first-pod-missing", key, event.message)
        elif first.status.phase != "Running":
            yield Finding("StatefulSet", "first-pod-not-running", key, f"pod {first.metadata.name} is "
                          f"{first.status.phase}")


def services(c: Cluster) -> Iterator[Finding]:
    endpoints = {(ep.metadata.namespace, ep.metadata.name): ep for ep in c.endpoints}
    for service in c.services:
        namespace, name, key = service.metadata.namespace, service.metadata.name, _key(service)
        ep = endpoints.get((namespace, name))
        if service.spec.selector and ep is not None:
            if not ep.subsets:
                labels = ", ".join(f"{k}={v}" for k, v in sorted(service.spec.selector.items()))
                yield Finding("Service", "no-endpoints", key, f"Service has no endpoints, expected label {labels}")
            not_ready = [address.target_ref.name for subset in ep.subsets or []
                         for address in subset.not_ready_addresses or [] if address.target_ref]
            if not_ready:
                yield Finding("Service", "not-ready-endpoints", key, f"Service has not ready endpoints, pods: "
                              f"{sorted(not_ready)}")
        for event in c.events_of(namespace, name):
            if event.involved_object.kind == "Service" and event.type != "Normal":
                yield Finding("Service", "warning-event", key, f"{event.reason}: {event.message}")


def claims(c: Cluster) -> Iterator[Finding]:
    for claim in c.claims:
        if claim.status.phase != "Pending":
            continue
        event = c.latest_event(claim.metadata.namespace, claim.metadata.name)
        if event is not None and event.reason == "ProvisioningFailed":
            yield Finding("PersistentVolumeClaim", "provisioning-failed", _key(claim), event.message)


def ingresses(c: Cluster) -> Iterator[Finding]:
    classes, services, secrets = {ic.metadata.name for ic in c.ingress_classes}, c.names(c.services), \
        c.names(c.secrets)
    for ingress in c.ingresses:
        key, namespace = _key(ingress), ingress.metadata.namespace
        wanted = ingress.spec.ingress_class_name or (ingress.metadata.annotations or {}).get(
            "kubernetes.io/ingress.class")
        if not wanted:
            yield Finding("Ingress", "no-class", key, f"Ingress {key} does not specify an Ingress class")
        elif wanted not in classes:
            yield Finding("Ingress", "class-not-found", key, f"Ingress uses the ingress class {wanted} which does "
                          f"not exist")
        for rule in ingress.spec.rules or []:
            for path in (rule.http.paths if rule.http else []) or []:
                backend = path.backend.service
                if backend is not None and (namespace, backend.name) not in services:
                    yield Finding("Ingress", "backend-missing", key, f"Ingress uses the service {namespace}/"
                                  f"{backend.name} which does not exist")
        for tls in ingress.spec.tls or []:
            if tls.secret_name and (namespace, tls.secret_name) not in secrets:
                yield Finding("Ingress", "tls-secret-missing", key, f"Ingress uses the secret {namespace}/"
                              f"{tls.secret_name} as a TLS certificate which does not exist")


def jobs(c: Cluster) -> Iterator[Finding]:
    for job in c.jobs:
        key = _key(job)
        if job.spec.suspend:
            yield Finding("Job", "suspended", key, f"Job {job.metadata.name} is suspended")
        complete = any(cond.type in ("Complete", "SuccessCriteriaMet") and cond.status == "True"
                       for cond in job.status.conditions or [])
        if (job.status.failed or 0) > 0 and not complete:
            event = c.latest_event(job.metadata.namespace, job.metadata.name)
            text = event.message if event is not None and event.reason == "BackoffLimitExceeded" else \
                f"Job {job.metadata.name} has failed"
            yield Finding("Job", "failed", key, text)


CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
CRON_NAMES = {name: str(number) for number, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)} | {
    name: str(number) for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}


def _valid_schedule(schedule: str) -> bool:
    """robfig/cron's ParseStandard: a descriptor, or 5 fields of `*`, numbers, names or ranges in bounds, with
    optional steps."""
    if schedule.strip().lower() in CRON_DESCRIPTORS or schedule.strip().lower().startswith("@every "):
        return True
    fields = re.sub(r"[A-Za-z]{3}", lambda m: CRON_NAMES.get(m.group(0).upper(), m.group(0)), schedule).split()
    if len(fields) != 5:
        return False
    for text, (low, high) in zip(fields, CRON_RANGES, strict=True):
        if not CRON_FIELD.match(text):
            return False
        numbers = [int(n) for n in re.findall(r"(?<![/\d])\d+", text)]
        if any(not low <= n <= high for n in numbers):
            return False
    return True


def cron_jobs(c: Cluster) -> Iterator[Finding]:
    for cron in c.cron_jobs:
        key = _key(cron)
        if cron.spec.suspend:
            yield Finding("CronJob", "suspended", key, f"CronJob {cron.metadata.name} is suspended")
            continue
        if not _valid_schedule(cron.spec.schedule):
            yield Finding("CronJob", "invalid-schedule", key, f"CronJob {cron.metadata.name} has an invalid "
                          f"schedule: {cron.spec.schedule}")
        deadline = cron.spec.starting_deadline_seconds
        if deadline is not None and deadline < 0:
            yield Finding("CronJob", "negative-deadline", key, f"CronJob {cron.metadata.name} has a negative "
                          f"starting deadline")


def nodes(c: Cluster) -> Iterator[Finding]:
    for node in c.nodes:
        for cond in node.status.conditions or []:
            if cond.type == "Ready" and cond.status != "True":
                yield Finding("Node", "not-ready", node.metadata.name, f"{cond.reason}: {cond.message}")
            elif cond.type in NODE_PRESSURE and cond.status in ("True", "Unknown"):
                yield Finding("Node", "pressure", node.metadata.name, f"{cond.type} {cond.reason}: {cond.message}")
            elif cond.type not in STANDARD_NODE_CONDITIONS and cond.type != "EtcdIsVoter":
                yield Finding("Node", "other-condition", node.metadata.name, f"{cond.type}: {cond.message}")


def _webhooks(c: Cluster, analyzer: str, configurations: list[Any]) -> Iterator[Finding]:
    services = {(s.metadata.namespace, s.metadata.name): s for s in c.services}
    for configuration in configurations:
        for webhook in configuration.webhooks or []:
            ref = webhook.client_config.service
            if ref is None:
                continue  # URL webhooks are not checked
            service = services.get((ref.namespace, ref.name))
            if service is None:
                yield Finding(analyzer, "service-missing", configuration.metadata.name,
                              f"Service {ref.namespace}/{ref.name} does not exist")
                continue
            selector = service.spec.selector or {}
            if not selector:
                continue
            backing = [pod for pod in c.pods if pod.metadata.namespace == ref.namespace
                       and all((pod.metadata.labels or {}).get(k) == v for k, v in selector.items())]
            if not backing:
                yield Finding(analyzer, "no-active-pods", configuration.metadata.name,
                              f"Service {ref.namespace}/{ref.name} has no active pods")
            for pod in backing:
                if pod.status.phase != "Running":
                    yield Finding(analyzer, "inactive-pod", configuration.metadata.name,
                                  f"inactive receiver pod {pod.metadata.name} ({pod.status.phase})")


def validating_webhooks(c: Cluster) -> Iterator[Finding]:
    yield from _webhooks(c, "ValidatingWebhookConfiguration", c.validating)


def mutating_webhooks(c: Cluster) -> Iterator[Finding]:
    yield from _webhooks(c, "MutatingWebhookConfiguration", c.mutating)


SIDECAR_LABELS = ("grafana_dashboard", "grafana_datasource", "prometheus_rule", "fluentd_config")


def _used_config_maps(pods: list[Any]) -> set[tuple[str, str]]:
    used = set()
    for pod in pods:
        namespace, spec = pod.metadata.namespace, pod.spec
        for volume in spec.volumes or []:
            if volume.config_map is not None:
                used.add((namespace, volume.config_map.name))
            for source in (volume.projected.sources or []) if volume.projected else []:
                if source.config_map is not None:
                    used.add((namespace, source.config_map.name))
        for container in (spec.init_containers or []) + (spec.containers or []):
            for env_from in container.env_from or []:
                if env_from.config_map_ref is not None:
                    used.add((namespace, env_from.config_map_ref.name))
            for env in container.env or []:
                if env.value_from is not None and env.value_from.config_map_key_ref is not None:
                    used.add((namespace, env.value_from.config_map_key_ref.name))
    return used


def config_maps(c: Cluster) -> Iterator[Finding]:
    used = _used_config_maps(c.pods)
    for cm in c.config_maps:
        labels, annotations = cm.metadata.labels or {}, cm.metadata.annotations or {}
        if any(label in labels for label in SIDECAR_LABELS) or labels.get("k8sgpt.ai/dynamically-loaded") == "true" \
                or annotations.get("k8sgpt.ai/skip-usage-check") == "true":
            continue
        key = _key(cm)
        if (cm.metadata.namespace, cm.metadata.name) not in used:
            yield Finding("ConfigMap", "unused", key, f"ConfigMap {cm.metadata.name} is not used by any pods in the "
                          f"namespace")
        if not cm.data and not cm.binary_data:
            yield Finding("ConfigMap", "empty", key, f"ConfigMap {cm.metadata.name} is empty")
        size = sum(len(value) for value in (cm.data or {}).values()) + \
            sum(len(value) for value in (cm.binary_data or {}).values())
        if size > 1024 * 1024:
            yield Finding("ConfigMap", "too-large", key, f"ConfigMap {cm.metadata.name} is larger than 1MB")


CORE: tuple[Callable[[Cluster], Iterator[Finding]], ...] = (
    pods, deployments, replica_sets, daemon_sets, stateful_sets, services, claims, ingresses, jobs, cron_jobs,
    nodes, validating_webhooks, mutating_webhooks, config_maps,
)
"""k8sgpt's core analyzer map: the ones it runs when no filter is given."""


def analyze(api: client.ApiClient) -> list[Finding]:
    cluster = Cluster(api)
    return [finding for analyzer in CORE for finding in analyzer(cluster)]
