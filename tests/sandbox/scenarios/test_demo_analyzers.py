"""Every failure condition of k8sgpt's core analyzers is in the running demo: found as k8sgpt finds it (through
the Python client, analyzers.py), shown by kubectl as a real cluster shows it, and declared in the scenario's
spec.problems. The two conditions a real apiserver refuses to store are refused by the sandbox too, which is
why the demo cannot contain them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from kubegenie.sandbox.scenarios import loader
from tests.sandbox.scenarios.analyzers import Finding, analyze
from tests.support.scenario import ScenarioEnv

# (analyzer, condition, object: `namespace/name`, or a prefix of generated names ending in "-", text it shows)
EXPECTED = (
    ("Pod", "unschedulable", "shop/recommendation-engine-", "Insufficient cpu"),
    ("Pod", "scheduling-gated", "data/batch-import-", "Scheduling is blocked due to non-empty scheduling gates"),
    ("Pod", "evicted", "shop/legacy-reports-worker-7d9f8-x2kqp", "The node was low on resource: memory"),
    ("Pod", "container-creating", "shop/image-resizer-",
     'MountVolume.SetUp failed for volume "config" : configmap "image-resizer-config" not found'),
    ("Pod", "container-creating", "monitoring/resource-policy-webhook-",
     'MountVolume.SetUp failed for volume "tls" : secret "resource-policy-webhook-tls" not found'),
    ("Pod", "crash-loop", "payments/payment-gateway-", "the last termination reason is Error"),
    ("Pod", "crash-loop", "payments/payouts-worker-", "the last termination reason is OOMKilled"),
    ("Pod", "waiting", "shop/checkout-v2-", "ghcr.io/acme/checkout-python:does-not-exist"),
    ("Pod", "waiting", "payments/refund-service-", 'CreateContainerConfigError: secret "refund-db" not found'),
    ("Pod", "waiting", "shop/email-sender-",
     "CreateContainerConfigError: couldn't find key SMTP_HOST in ConfigMap shop/email-settings"),
    ("Pod", "terminated", "data/nightly-backfill-", "the termination reason is Error exitCode=2"),
    ("Pod", "not-ready", "shop/search-api-", "Readiness probe failed: Get \"http://"),
    ("Deployment", "replicas", "payments/payment-gateway", "has 2 replicas but 0 are available"),
    ("Deployment", "progressing", "payments/payment-gateway", "ProgressDeadlineExceeded: ReplicaSet"),
    ("ReplicaSet", "failed-create", "analytics/trino-coordinator-",
     "is forbidden: exceeded quota: analytics-quota, requested: limits.memory=8Gi,requests.cpu=2,"
     "requests.memory=4Gi, used: limits.memory=7Gi,requests.cpu=1500m,requests.memory=4Gi, limited: "
     "limits.memory=12Gi,requests.cpu=3,requests.memory=6Gi"),
    ("ReplicaSet", "failed-create", "data/airflow-scheduler-",
     'is forbidden: error looking up service account data/airflow: serviceaccount "airflow" not found'),
    ("DaemonSet", "not-ready", "monitoring/node-problem-detector", "0 of "),
    ("DaemonSet", "pull-secret", "monitoring/node-problem-detector", "imagePullSecret regcred does not exist"),
    ("StatefulSet", "service", "payments/ledger-db", "payments/ledger-db-headless which does not exist"),
    ("StatefulSet", "storage-class", "data/kafka", "storage class fast-ssd which does not exist"),
    ("StatefulSet", "first-pod-missing", "monitoring/loki",
     'create Pod loki-0 in StatefulSet loki failed error: pods "loki-0" is forbidden: error looking up service '
     'account monitoring/loki: serviceaccount "loki" not found'),
    ("StatefulSet", "first-pod-not-running", "data/kafka", "pod kafka-0 is Pending"),
    ("Service", "no-endpoints", "shop/legacy-catalog", "expected label app.kubernetes.io/name=legacy-catalog"),
    ("Service", "not-ready-endpoints", "shop/search-api", "not ready endpoints, pods: ['search-api-"),
    ("Service", "warning-event", "payments/payments-edge", "SyncLoadBalancerFailed: Error syncing load balancer: "
     "failed to ensure load balancer: LoadBalancerIP cannot be specified for AWS ELB"),
    ("PersistentVolumeClaim", "provisioning-failed", "data/reports-archive",
     'storageclass.storage.k8s.io "standard-rwx" not found'),
    ("Ingress", "no-class", "shop/promo-landing", "does not specify an Ingress class"),
    ("Ingress", "class-not-found", "shop/storefront-admin", "ingress class nginx-internal which does not exist"),
    ("Ingress", "backend-missing", "shop/storefront-admin", "service shop/admin-ui which does not exist"),
    ("Ingress", "tls-secret-missing", "shop/storefront-admin", "secret shop/admin-tls as a TLS certificate"),
    ("Job", "suspended", "data/reindex-catalog", "is suspended"),
    ("Job", "failed", "data/nightly-backfill", "Job has reached the specified backoff limit"),
    ("CronJob", "suspended", "monitoring/weekly-report", "is suspended"),
    ("CronJob", "invalid-schedule", "data/cleanup-temp", "invalid schedule: 0 25 * * *"),
    ("Node", "not-ready", "ip-10-0-17-41.ec2.internal", "KubeletNotReady: container runtime network not ready"),
    ("Node", "pressure", "ip-10-0-62-117.ec2.internal", "DiskPressure KubeletHasDiskPressure"),
    ("ValidatingWebhookConfiguration", "service-missing", "policy-validator",
     "Service policy/policy-webhook does not exist"),
    ("MutatingWebhookConfiguration", "no-active-pods", "sidecar-injector",
     "Service monitoring/sidecar-injector has no active pods"),
    ("ValidatingWebhookConfiguration", "inactive-pod", "resource-policy",
     "inactive receiver pod resource-policy-webhook-"),
    ("ConfigMap", "unused", "shop/old-feature-flags", "is not used by any pods"),
    ("ConfigMap", "empty", "payments/empty-settings", "is empty"),
)


def _found(findings: list[Finding], analyzer: str, condition: str, name: str, text: str) -> bool:
    return any(f.analyzer == analyzer and f.condition == condition and text in f.text
               and (f.name.startswith(name) if name.endswith("-") else f.name == name) for f in findings)


@pytest.fixture(scope="module")
def api(demo: ScenarioEnv) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(demo.kubeconfig))
    yield api_client
    api_client.close()


def test_every_core_analyzer_condition_is_found(demo: ScenarioEnv, api: client.ApiClient) -> None:
    absent: list[tuple[str, str, str, str]] = []

    def complete() -> bool:
        findings = analyze(api)
        absent[:] = [expected for expected in EXPECTED if not _found(findings, *expected)]
        return not absent

    try:
        demo.wait("every k8sgpt core condition", complete, 600, poll=2.0)
    except AssertionError:
        pytest.fail(f"not found after 600 simulated seconds: {absent}")
    analyzers = {analyzer for analyzer, *_ in EXPECTED}
    assert analyzers == {"Pod", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Service",
                         "PersistentVolumeClaim", "Ingress", "Job", "CronJob", "Node", "ValidatingWebhookConfiguration",
                         "MutatingWebhookConfiguration", "ConfigMap"}


def test_every_condition_is_declared_in_the_scenario() -> None:
    declared = {(problem.check, problem.namespace, problem.name) for problem in loader.load("demo").problems}
    for analyzer, condition, name, _ in EXPECTED:
        namespace, _, object_name = name.rpartition("/")
        assert (f"k8sgpt/{analyzer}", namespace, object_name.rstrip("-")) in declared, (analyzer, condition, name)


def _pod(demo: ScenarioEnv, namespace: str, app: str, status: str) -> str | None:
    table = demo.ok("get", "pods", "-n", namespace, "-l", f"app.kubernetes.io/name={app}")
    match = re.search(rf"^({app}-\S+)\s+0/1\s+{status}\s+0\s", table, re.MULTILINE)
    return match.group(1) if match else None


def test_volume_and_config_failures_in_kubectl(demo: ScenarioEnv) -> None:
    resizer = demo.wait("image-resizer ContainerCreating", lambda: _pod(demo, "shop", "image-resizer",
                                                                       "ContainerCreating"), 60)
    described = demo.ok("describe", "pod", "-n", "shop", resizer)
    assert re.search(r"State:\s+Waiting\n\s+Reason:\s+ContainerCreating\n", described), described
    assert re.search(r"Warning\s+FailedMount\s+.*kubelet\s+MountVolume\.SetUp failed for volume \"config\" : "
                     r"configmap \"image-resizer-config\" not found", described), described
    assert re.search(r"^IP:\s*$", described, re.MULTILINE), "no sandbox, so no pod IP, while volumes are missing"
    sender = demo.wait("email-sender CreateContainerConfigError",
                       lambda: _pod(demo, "shop", "email-sender", "CreateContainerConfigError"), 60)
    described = demo.ok("describe", "pod", "-n", "shop", sender)
    assert re.search(r"Warning\s+Failed\s+.*kubelet\s+Error: couldn't find key SMTP_HOST in ConfigMap "
                     r"shop/email-settings", described), described
    # the kubelet tries again after its resync (10-15 s), finding the image it pulled the first time
    retried = r"Normal\s+Pulled\s+.*Container image \"ghcr\.io/acme/email-sender:1\.2\.4\" already present on machine"
    demo.wait("email-sender retried", lambda: re.search(retried, demo.ok("describe", "pod", "-n", "shop", sender)),
              60, poll=1.0)
    refund = demo.wait("refund-service CreateContainerConfigError",
                       lambda: _pod(demo, "payments", "refund-service", "CreateContainerConfigError"), 60)
    pod = demo.get_json("pod", "-n", "payments", refund)
    waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting == {"reason": "CreateContainerConfigError", "message": 'secret "refund-db" not found'}
    gated = demo.ok("get", "pods", "-n", "data", "-l", "app.kubernetes.io/name=batch-import")
    assert re.search(r"^batch-import-\S+\s+0/1\s+SchedulingGated\s+0\s", gated, re.MULTILINE), gated


def test_admission_failures_in_kubectl(demo: ScenarioEnv) -> None:
    def refused() -> str | None:
        described = demo.ok("describe", "deployment", "-n", "analytics", "trino-coordinator")
        return described if re.search(r"ReplicaFailure\s+True\s+FailedCreate", described) else None

    refused_deployment = demo.wait("trino-coordinator ReplicaFailure", refused, 120)
    assert re.search(r"Replicas:\s+1 desired \| 0 updated \| 0 total \| 0 available \| 1 unavailable",
                     refused_deployment), refused_deployment
    replica_sets = demo.ok("get", "rs", "-n", "analytics", "-l", "app.kubernetes.io/name=trino-coordinator")
    assert re.search(r"^trino-coordinator-\S+\s+1\s+0\s+0\s", replica_sets, re.MULTILINE), replica_sets
    events = demo.ok("get", "events", "-n", "analytics", "--field-selector", "reason=FailedCreate")
    assert re.search(r'Error creating: pods "trino-coordinator-\S+" is forbidden: exceeded quota: analytics-quota',
                     events), events
    quota = demo.ok("describe", "quota", "-n", "analytics", "analytics-quota")
    for resource, used, hard in (("limits.memory", "7Gi", "12Gi"), ("pods", "3", "10"),
                                 ("requests.cpu", "1500m", "3"), ("requests.memory", "4Gi", "6Gi")):
        assert re.search(rf"^{re.escape(resource)}\s+{used}\s+{hard}\s*$", quota, re.MULTILINE), quota
    events = demo.ok("get", "events", "-n", "monitoring", "--field-selector", "involvedObject.name=loki")
    assert re.search(r"Warning\s+FailedCreate\s+statefulset/loki\s+create Pod loki-0 in StatefulSet loki failed "
                     r"error: pods \"loki-0\" is forbidden: error looking up service account monitoring/loki",
                     events), events
    services = demo.ok("get", "svc", "-n", "payments", "payments-edge")
    assert re.search(r"^payments-edge\s+LoadBalancer\s+\S+\s+<pending>\s+443:\d+/TCP\s", services,
                     re.MULTILINE), services
    node = demo.ok("describe", "node", "ip-10-0-62-117.ec2.internal")
    assert re.search(r"DiskPressure\s+True\s+.*KubeletHasDiskPressure\s+kubelet has disk pressure", node), node
    assert "node.kubernetes.io/disk-pressure:NoSchedule" in node


def test_admission_refusals_through_the_python_client(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    greedy = {"metadata": {"generateName": "adhoc-query-"}, "spec": {"containers": [{
        "name": "query", "image": "trinodb/trino:460",
        "resources": {"requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}}]}}
    # Quota admission sees the object once its name is generated; the ServiceAccount check runs before that.
    message = _refusal(lambda: core.create_namespaced_pod("analytics", greedy, dry_run="All"))
    assert re.fullmatch(r'pods "adhoc-query-[a-z0-9]{5}" is forbidden: exceeded quota: analytics-quota, requested: '
                        r"requests\.cpu=2, used: requests\.cpu=1500m, limited: requests\.cpu=3", message), message
    unstated = {"metadata": {"name": "no-limits"}, "spec": {"containers": [{"name": "app", "image": "busybox"}]}}
    message = _refusal(lambda: core.create_namespaced_pod("analytics", unstated, dry_run="All"))
    assert message == 'pods "no-limits" is forbidden: failed quota: analytics-quota: must specify limits.memory ' \
                      "for: app; requests.cpu for: app; requests.memory for: app"
    orphan = {"metadata": {"generateName": "scheduler-probe-"}, "spec": {"serviceAccountName": "airflow",
                                                                         "containers": [{"name": "app",
                                                                                         "image": "busybox"}]}}
    message = _refusal(lambda: core.create_namespaced_pod("data", orphan, dry_run="All"))
    assert message == 'pods "scheduler-probe-" is forbidden: error looking up service account data/airflow: ' \
                      'serviceaccount "airflow" not found'


def _refusal(call: Callable[[], object]) -> str:
    """The message of the 403 Forbidden Status `call` gets."""
    with pytest.raises(ApiException) as refused:
        call()
    assert refused.value.status == 403
    status = json.loads(refused.value.body)
    assert status["reason"] == "Forbidden"
    return str(status["message"])


def test_conditions_a_real_apiserver_refuses_are_refused(demo: ScenarioEnv, tmp_path: Path) -> None:
    blob = tmp_path / "blob.txt"
    blob.write_text("x" * (1024 * 1024 + 1))
    result = demo.kubectl("create", "configmap", "too-big", "-n", "shop", f"--from-file=blob={blob}")
    assert result.returncode == 1
    assert 'ConfigMap "too-big" is invalid: []: Too long: must have at most 1048576 bytes' in result.stderr
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "late-report", "namespace": "shop"},
            "spec": {"schedule": "0 6 * * *", "startingDeadlineSeconds": -60, "jobTemplate": {"spec": {"template": {
                "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "report", "image": "busybox"}]}}}}}}
    manifest = tmp_path / "cron.yaml"
    manifest.write_text(yaml.safe_dump(cron))
    result = demo.kubectl("apply", "-f", str(manifest))
    assert result.returncode == 1
    assert 'The CronJob "late-report" is invalid: spec.startingDeadlineSeconds: Invalid value: -60: must be ' \
           'greater than or equal to 0' in result.stderr
