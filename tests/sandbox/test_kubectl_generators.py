"""`kubectl create <generator>`, `create token` and `autoscale` with every kubectl (1.32+ send protobuf):
the objects the server stores, read back with `-o json`, and what kubectl prints."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kubegenie.sandbox.identity import read_token
from kubegenie.sandbox.tls import CertificateAuthority
from tests.support import kubectl
from tests.support.sandbox import SandboxEnv

pytestmark = pytest.mark.kubectl


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args)


def created(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> str:
    result = run(sandbox, binary, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def get_json(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> Any:
    result = run(sandbox, binary, "get", *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def suffix(binary: kubectl.Kubectl) -> str:
    """Cluster-scoped names must differ per kubectl binary in the shared sandbox."""
    return binary.label.replace("kubectl", "k").replace(".", "-")


@pytest.mark.parametrize("binary", kubectl.params())
def test_workload_generators(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    ns = ["-n", namespace]
    assert created(sandbox, binary, *ns, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=0",
                   "--port=8080") == "deployment.apps/web created"
    assert created(sandbox, binary, *ns, "create", "job", "once", "--image=busybox", "--", "echo",
                   "hi") == "job.batch/once created"
    assert created(sandbox, binary, *ns, "create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *",
                   "--", "date") == "cronjob.batch/tick created"
    assert created(sandbox, binary, *ns, "create", "job", "from-tick", "--from=cronjob/tick") == \
        "job.batch/from-tick created"
    assert created(sandbox, binary, *ns, "autoscale", "deployment", "web", "--min=2", "--max=6",
                   "--cpu-percent=60") == "horizontalpodautoscaler.autoscaling/web autoscaled"

    deployment = get_json(sandbox, binary, *ns, "deployment", "web")
    assert deployment["spec"]["replicas"] == 0
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert (container["name"], container["image"]) == ("nginx", "nginx:1.27")
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]

    job = get_json(sandbox, binary, *ns, "job", "once")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"

    cronjob = get_json(sandbox, binary, *ns, "cronjob", "tick")
    assert cronjob["spec"]["schedule"] == "*/5 * * * *"
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert template["containers"][0]["command"] == ["date"] and template["restartPolicy"] == "OnFailure"

    from_cronjob = get_json(sandbox, binary, *ns, "job", "from-tick")
    assert from_cronjob["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert from_cronjob["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert from_cronjob["spec"]["template"]["spec"]["containers"][0]["command"] == ["date"]

    hpa = get_json(sandbox, binary, *ns, "hpa.v2.autoscaling", "web")
    assert hpa["spec"]["scaleTargetRef"] == {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]


@pytest.mark.parametrize("binary", kubectl.params())
def test_config_generators(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl,
                           tmp_path: Path) -> None:
    ns = ["-n", namespace]
    cert, key = CertificateAuthority.generate().issue("web.example.com", ["web.example.com"])
    (tmp_path / "tls.crt").write_bytes(cert)
    (tmp_path / "tls.key").write_bytes(key)
    assert created(sandbox, binary, *ns, "create", "configmap", "settings", "--from-literal=mode=fast",
                   "--from-literal=level=3") == "configmap/settings created"
    assert created(sandbox, binary, *ns, "create", "secret", "generic", "creds",
                   "--from-literal=password=s3cr3t") == "secret/creds created"
    assert created(sandbox, binary, *ns, "create", "secret", "docker-registry", "pull", "--docker-username=ci",
                   "--docker-password=pw", "--docker-server=registry.example.com") == "secret/pull created"
    assert created(sandbox, binary, *ns, "create", "secret", "tls", "cert", f"--cert={tmp_path / 'tls.crt'}",
                   f"--key={tmp_path / 'tls.key'}") == "secret/cert created"
    assert created(sandbox, binary, *ns, "create", "serviceaccount", "robot") == "serviceaccount/robot created"

    assert get_json(sandbox, binary, *ns, "configmap", "settings")["data"] == {"level": "3", "mode": "fast"}
    creds = get_json(sandbox, binary, *ns, "secret", "creds")
    assert creds["type"] == "Opaque"
    assert base64.b64decode(creds["data"]["password"]) == b"s3cr3t"
    pull = get_json(sandbox, binary, *ns, "secret", "pull")
    assert pull["type"] == "kubernetes.io/dockerconfigjson"
    auths = json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))["auths"]
    assert auths["registry.example.com"]["username"] == "ci"
    assert base64.b64decode(auths["registry.example.com"]["auth"]) == b"ci:pw"
    tls = get_json(sandbox, binary, *ns, "secret", "cert")
    assert tls["type"] == "kubernetes.io/tls"
    assert base64.b64decode(tls["data"]["tls.crt"]) == cert and base64.b64decode(tls["data"]["tls.key"]) == key
    account = get_json(sandbox, binary, *ns, "serviceaccount", "robot")
    assert account["metadata"]["name"] == "robot" and account["metadata"]["uid"]


@pytest.mark.parametrize("binary", kubectl.params())
def test_rbac_generators(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    ns, name = ["-n", namespace], suffix(binary)
    assert created(sandbox, binary, *ns, "create", "role", "reader", "--verb=get,list",
                   "--resource=pods,deployments.apps", "--resource-name=web") == \
        "role.rbac.authorization.k8s.io/reader created"
    assert created(sandbox, binary, *ns, "create", "rolebinding", "readers", "--role=reader", "--user=jane",
                   "--group=devs", f"--serviceaccount={namespace}:robot") == \
        "rolebinding.rbac.authorization.k8s.io/readers created"
    assert created(sandbox, binary, "create", "clusterrole", f"logs-{name}", "--verb=get",
                   "--non-resource-url=/logs/*") == f"clusterrole.rbac.authorization.k8s.io/logs-{name} created"
    assert created(sandbox, binary, "create", "clusterrole", f"agg-{name}", f"--aggregation-rule=gen={name}") == \
        f"clusterrole.rbac.authorization.k8s.io/agg-{name} created"
    assert created(sandbox, binary, "create", "clusterrolebinding", f"logs-{name}", f"--clusterrole=logs-{name}",
                   "--user=jane") == f"clusterrolebinding.rbac.authorization.k8s.io/logs-{name} created"

    role = get_json(sandbox, binary, *ns, "role", "reader")
    assert role["rules"] == [
        {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["web"]},
        {"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"]}]
    binding = get_json(sandbox, binary, *ns, "rolebinding", "readers")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}
    assert binding["subjects"] == [
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"},
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"},
        {"kind": "ServiceAccount", "name": "robot", "namespace": namespace}]
    logs = get_json(sandbox, binary, "clusterrole", f"logs-{name}")
    assert logs["rules"] == [{"verbs": ["get"], "nonResourceURLs": ["/logs/*"]}]
    aggregated = get_json(sandbox, binary, "clusterrole", f"agg-{name}")
    assert aggregated["aggregationRule"] == {"clusterRoleSelectors": [{"matchLabels": {"gen": name}}]}
    cluster_binding = get_json(sandbox, binary, "clusterrolebinding", f"logs-{name}")
    assert cluster_binding["roleRef"]["name"] == f"logs-{name}"
    assert cluster_binding["subjects"] == [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io",
                                            "name": "jane"}]


@pytest.mark.parametrize("binary", kubectl.params())
def test_policy_generators(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    ns, name = ["-n", namespace], suffix(binary)
    assert created(sandbox, binary, *ns, "create", "quota", "limits", "--hard=cpu=1,memory=1Gi,pods=10",
                   "--scopes=BestEffort") == "resourcequota/limits created"
    assert created(sandbox, binary, *ns, "create", "pdb", "web", "--selector=app=web", "--min-available=50%") == \
        "poddisruptionbudget.policy/web created"
    assert created(sandbox, binary, "create", "priorityclass", f"high-{name}", "--value=1000",
                   "--description=important", "--preemption-policy=Never") == \
        f"priorityclass.scheduling.k8s.io/high-{name} created"

    quota = get_json(sandbox, binary, *ns, "quota", "limits")
    assert quota["spec"] == {"hard": {"cpu": "1", "memory": "1Gi", "pods": "10"}, "scopes": ["BestEffort"]}
    pdb = get_json(sandbox, binary, *ns, "pdb", "web")
    assert pdb["spec"]["minAvailable"] == "50%"
    assert pdb["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    priority = get_json(sandbox, binary, "priorityclass", f"high-{name}")
    assert (priority["value"], priority["description"], priority["preemptionPolicy"]) == \
        (1000, "important", "Never")


@pytest.mark.parametrize("binary", kubectl.params())
def test_network_generators(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    ns = ["-n", namespace]
    assert created(sandbox, binary, *ns, "create", "ingress", "site", "--class=nginx",
                   "--rule=foo.example.com/bar*=web:8080,tls=cert", "--annotation=team=a") == \
        "ingress.networking.k8s.io/site created"
    assert created(sandbox, binary, *ns, "create", "service", "clusterip", "api", "--tcp=80:8080") == \
        "service/api created"
    assert created(sandbox, binary, *ns, "create", "service", "nodeport", "edge", "--tcp=80:8080") == \
        "service/edge created"
    assert created(sandbox, binary, *ns, "create", "service", "loadbalancer", "lb", "--tcp=443:8443") == \
        "service/lb created"

    ingress = get_json(sandbox, binary, *ns, "ingress", "site")
    assert ingress["metadata"]["annotations"] == {"team": "a"}
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["foo.example.com"], "secretName": "cert"}]
    assert ingress["spec"]["rules"] == [{"host": "foo.example.com", "http": {"paths": [{
        "path": "/bar", "pathType": "Prefix",
        "backend": {"service": {"name": "web", "port": {"number": 8080}}}}]}}]
    services = {svc["metadata"]["name"]: svc for svc in get_json(sandbox, binary, *ns, "services")["items"]}
    assert services["api"]["spec"]["type"] == "ClusterIP"
    assert services["api"]["spec"]["ports"][0] == {"name": "80-8080", "protocol": "TCP", "port": 80,
                                                   "targetPort": 8080}
    assert services["api"]["spec"]["selector"] == {"app": "api"}
    assert services["edge"]["spec"]["type"] == "NodePort"
    assert 30000 <= services["edge"]["spec"]["ports"][0]["nodePort"] <= 32767
    assert services["lb"]["spec"]["type"] == "LoadBalancer"
    assert services["lb"]["spec"]["ports"][0]["targetPort"] == 8443


@pytest.mark.parametrize("binary", kubectl.params())
def test_namespace_and_token(sandbox: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"gen-{suffix(binary)}"
    assert created(sandbox, binary, "create", "namespace", name) == f"namespace/{name} created"
    namespace = get_json(sandbox, binary, "namespace", name)
    assert namespace["status"]["phase"] == "Active"
    token = created(sandbox, binary, "-n", name, "create", "token", "default", "--duration=2h",
                    "--audience=https://kubernetes.default.svc.cluster.local")
    claims = read_token(sandbox.cluster.ca, token)
    assert claims is not None
    assert (claims.namespace, claims.name) == (name, "default")
    assert claims.expires_at - claims.issued_at == 7200
    missing = run(sandbox, binary, "-n", name, "create", "token", "nobody")
    assert missing.returncode == 1
    assert 'serviceaccounts "nobody" not found' in missing.stderr
