"""Real request bodies: kubectl 1.32/1.33 send protobuf where 1.31 sends JSON. The same commands are run
with both, the bodies recorded at the sandbox, and the decoded protobuf must equal the JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kubegenie.sandbox import bodies, protobuf
from tests.support import kubectl
from tests.support.sandbox import SandboxEnv, start_sandbox

pytestmark = pytest.mark.kubectl

# (id, kubectl arguments with {tag} marking names that must differ between the two runs)
COMMANDS: list[tuple[str, list[str]]] = [
    ("namespace", ["create", "namespace", "ns-{tag}"]),
    ("deployment", ["create", "deployment", "web", "--image=nginx:1.27", "--replicas=0", "--port=80"]),
    ("configmap", ["create", "configmap", "settings", "--from-literal=mode=fast", "--from-literal=level=3"]),
    ("secret-generic", ["create", "secret", "generic", "creds", "--from-literal=password=s3cr3t"]),
    ("secret-docker-registry", ["create", "secret", "docker-registry", "pull", "--docker-username=u",
                                "--docker-password=p", "--docker-server=registry.example.com"]),
    ("secret-tls", ["create", "secret", "tls", "cert", "--cert={cert}", "--key={key}"]),
    ("serviceaccount", ["create", "serviceaccount", "robot"]),
    ("job", ["create", "job", "once", "--image=busybox", "--", "echo", "hi"]),
    ("cronjob", ["create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--restart=OnFailure",
                 "--", "date"]),
    ("role", ["create", "role", "reader", "--verb=get,list", "--resource=pods,deployments.apps",
              "--resource-name=web"]),
    ("rolebinding", ["create", "rolebinding", "readers", "--role=reader", "--user=jane", "--group=devs",
                     "--serviceaccount=default:robot"]),
    ("clusterrole", ["create", "clusterrole", "logs-{tag}", "--verb=get", "--non-resource-url=/logs/*"]),
    ("clusterrole-aggregated", ["create", "clusterrole", "agg-{tag}", "--aggregation-rule=team=a"]),
    ("clusterrolebinding", ["create", "clusterrolebinding", "viewers-{tag}", "--clusterrole=view", "--user=jane"]),
    ("quota", ["create", "quota", "limits", "--hard=cpu=1,memory=1Gi,pods=10", "--scopes=BestEffort"]),
    ("pdb", ["create", "pdb", "web", "--selector=app=web", "--min-available=50%"]),
    ("priorityclass", ["create", "priorityclass", "high-{tag}", "--value=1000", "--description=important",
                       "--preemption-policy=Never"]),
    ("ingress", ["create", "ingress", "site", "--class=nginx", "--rule=foo.example.com/bar*=web:8080,tls=cert",
                 "--annotation=team=a"]),
    ("service-clusterip", ["create", "service", "clusterip", "api", "--tcp=80:8080"]),
    ("service-nodeport", ["create", "service", "nodeport", "edge", "--tcp=80:8080", "--node-port=3{port}"]),
    ("service-loadbalancer", ["create", "service", "loadbalancer", "lb", "--tcp=443:8443"]),
    ("token", ["create", "token", "robot", "--duration=2h", "--audience=api"]),
    ("can-i", ["auth", "can-i", "delete", "deployments.apps", "--subresource=scale"]),
    ("can-i-url", ["auth", "can-i", "get", "/logs/today"]),
    ("can-i-list", ["auth", "can-i", "--list"]),
    ("whoami", ["auth", "whoami"]),
]


@dataclass
class Recorded:
    bodies: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)


def _find(label: str) -> kubectl.Kubectl | None:
    return next((k for k in kubectl.discover() if k.label == label), None)


def _run_all(env: SandboxEnv, binary: kubectl.Kubectl, tag: str, port: str, files: dict[str, str],
             sink: list[tuple[str, bytes]]) -> Recorded:
    recorded = Recorded()
    namespace = f"pb-{tag}"
    binary.run(env.kubeconfig, env.cache_dir, "create", "namespace", namespace, check=True)
    for command_id, args in COMMANDS:
        sink.clear()
        argv = [arg.format(tag=tag, port=port, **files) for arg in args]
        result = binary.run(env.kubeconfig, env.cache_dir, "-n", namespace, *argv)
        recorded.outputs[command_id] = result.stdout + result.stderr
        recorded.bodies[command_id] = list(sink)
    return recorded


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Recorded]]:
    json_kubectl, proto_kubectl = _find("kubectl.1.31"), _find("kubectl.1.33")
    if json_kubectl is None or proto_kubectl is None:
        pytest.skip("needs kubectl.1.31 (JSON bodies) and kubectl.1.33 (protobuf bodies)")
    directory = tmp_path_factory.mktemp("protobuf-recordings")
    files = _tls_files(directory)
    env = start_sandbox(directory / "sandbox")
    sink: list[tuple[str, bytes]] = []
    lock = threading.Lock()
    original = bodies.decode_object

    def recording(raw: bytes, content_type: str | None) -> dict[str, Any]:
        with lock:
            sink.append((bodies.media_type(content_type), raw))
        return original(raw, content_type)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(bodies, "decode_object", recording)
            yield {"json": _run_all(env, json_kubectl, "json", "0080", files, sink),
                   "protobuf": _run_all(env, proto_kubectl, "pb", "0081", files, sink)}
    finally:
        env.thread.stop()


def _tls_files(directory: Path) -> dict[str, str]:
    from kubegenie.sandbox.tls import CertificateAuthority

    cert, key = CertificateAuthority.generate().issue("example.com", ["example.com"])
    (directory / "tls.crt").write_bytes(cert)
    (directory / "tls.key").write_bytes(key)
    return {"cert": str(directory / "tls.crt"), "key": str(directory / "tls.key")}


def _normalized(value: Any) -> Any:
    """Drop nulls (Go writes `creationTimestamp: null`, protobuf has nothing) and make run names equal."""
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    if isinstance(value, str):
        return value.replace("-json", "-X").replace("-pb", "-X")
    if value in (30080, 30081) and not isinstance(value, bool):
        return "node port"
    return value


@pytest.mark.parametrize("command_id", [command_id for command_id, _ in COMMANDS])
def test_protobuf_body_decodes_to_the_json_body(recordings: dict[str, Recorded], command_id: str) -> None:
    json_bodies = recordings["json"].bodies[command_id]
    proto_bodies = recordings["protobuf"].bodies[command_id]
    assert [kind for kind, _ in json_bodies] == ["application/json"], recordings["json"].outputs[command_id]
    assert [kind for kind, _ in proto_bodies] == [protobuf.MEDIA_TYPE], recordings["protobuf"].outputs[command_id]
    sent_as_json = json.loads(json_bodies[0][1])
    decoded = protobuf.decode(proto_bodies[0][1])
    assert _normalized(decoded) == _normalized(sent_as_json)


def test_both_runs_succeeded_with_the_same_output(recordings: dict[str, Recorded]) -> None:
    for command_id, _ in COMMANDS:
        if command_id == "token":
            assert recordings["protobuf"].outputs[command_id].count(".") == 2
            continue
        json_out = recordings["json"].outputs[command_id]
        proto_out = recordings["protobuf"].outputs[command_id]
        assert proto_out.replace("-pb", "-X") == json_out.replace("-json", "-X"), command_id
    assert recordings["protobuf"].outputs["deployment"] == "deployment.apps/web created\n"
    assert recordings["protobuf"].outputs["can-i"] == "yes\n"


def test_autoscale_sends_autoscaling_v2_on_1_33_and_v1_on_1_32(tmp_path: Path) -> None:
    sends_v2, sends_v1 = _find("kubectl.1.33"), _find("kubectl.1.32")
    if sends_v2 is None or sends_v1 is None:
        pytest.skip("needs kubectl.1.32 and kubectl.1.33")
    env = start_sandbox(tmp_path / "sandbox")
    sink: list[tuple[str, bytes]] = []
    original = bodies.decode_object

    def recording(raw: bytes, content_type: str | None) -> dict[str, Any]:
        sink.append((bodies.media_type(content_type), raw))
        return original(raw, content_type)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(bodies, "decode_object", recording)
            decoded = {}
            for binary, name in ((sends_v2, "v2"), (sends_v1, "v1")):
                binary.run(env.kubeconfig, env.cache_dir, "create", "deployment", name, "--image=nginx", check=True)
                sink.clear()
                out = binary.run(env.kubeconfig, env.cache_dir, "autoscale", "deployment", name, "--min=2",
                                 "--max=5", "--cpu-percent=70", check=True)
                assert out.stdout == f"horizontalpodautoscaler.autoscaling/{name} autoscaled\n"
                decoded[name] = protobuf.decode(sink[-1][1])
    finally:
        env.thread.stop()
    target = {"kind": "Deployment", "name": "v2", "apiVersion": "apps/v1"}
    assert decoded["v2"] == {
        "kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2", "metadata": {"name": "v2"},
        "spec": {"scaleTargetRef": target, "minReplicas": 2, "maxReplicas": 5, "metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                       "averageUtilization": 70}}}]},
        "status": {"desiredReplicas": 0}}
    assert decoded["v1"] == {
        "kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v1", "metadata": {"name": "v1"},
        "spec": {"scaleTargetRef": {**target, "name": "v1"}, "minReplicas": 2, "maxReplicas": 5,
                 "targetCPUUtilizationPercentage": 70},
        "status": {"currentReplicas": 0, "desiredReplicas": 0}}
