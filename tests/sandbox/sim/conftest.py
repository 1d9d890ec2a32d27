"""Simulated sandboxes for the controller, scheduler and kubelet tests: a sped-up clock started in the past
(so ages read by a real kubectl stay positive), a few Ready nodes, a default StorageClass, and helpers to
run kubectl, use the Python client and wait for simulated time to bring a condition about."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from kubernetes import client, config

from kubegenie.sandbox import bootstrap
from kubegenie.sandbox.store import Obj
from tests.support import kubectl as kubectl_support
from tests.support.polling import wait_simulated
from tests.support.sandbox import SandboxEnv, start_sandbox, unique_name

SPEED = 20.0
T = TypeVar("T")


@dataclass
class Sim:
    env: SandboxEnv
    binary: kubectl_support.Kubectl

    @property
    def speed(self) -> float:
        return self.env.cluster.clock.speed

    def kubectl(self, *args: str, input: str | None = None, binary: kubectl_support.Kubectl | None = None
                ) -> subprocess.CompletedProcess[str]:
        return (binary or self.binary).run(self.env.kubeconfig, self.env.cache_dir, *args, input=input, timeout=90)

    def ok(self, *args: str, input: str | None = None) -> str:
        result = self.kubectl(*args, input=input)
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result.stdout

    def apply(self, namespace: str, manifest: Obj | str) -> str:
        text = manifest if isinstance(manifest, str) else yaml.safe_dump(manifest)
        return self.ok("-n", namespace, "apply", "-f", "-", input=text)

    def get_json(self, *args: str) -> Any:
        return json.loads(self.ok("get", *args, "-o", "json"))

    def on_loop(self, func: Callable[[], T]) -> T:
        async def run() -> T:
            return func()

        return self.env.thread.call(run)

    def now(self) -> float:
        return self.env.cluster.clock.time()

    def wait(self, what: str, check: Callable[[], T | None], simulated: float, poll: float = 0.1) -> T:
        """Poll `check` until it returns something truthy, for at most `simulated` seconds of cluster time."""
        return wait_simulated(what, check, simulated, self.speed, grace=10, poll=poll)

    def store_get(self, key: str, namespace: str, name: str) -> Obj | None:
        return self.on_loop(lambda: self.env.cluster.store.get(key, namespace, name))

    def store_list(self, key: str, namespace: str | None = None) -> list[Obj]:
        return self.on_loop(lambda: list(self.env.cluster.store.list_sorted(key, namespace)))

    def namespace(self, base: str) -> str:
        name = unique_name(base)
        self.on_loop(lambda: bootstrap.create(self.env.cluster, "v1", "namespaces", "", {"metadata": {"name": name}}))
        return name

    def add_node(self, name: str, cpu: str = "4", memory: str = "8Gi", pods: str = "110",
                 labels: dict[str, str] | None = None, taints: list[Obj] | None = None,
                 annotations: dict[str, str] | None = None) -> None:
        def create() -> None:
            cluster = self.env.cluster
            body: Obj = {"metadata": {"name": name, "labels": dict(labels or {}),
                                      "annotations": dict(annotations or {})}, "spec": {}}
            if taints:
                body["spec"]["taints"] = taints
            node = bootstrap.create(cluster, "v1", "nodes", "", body)
            rtype = cluster.registry.lookup("", "v1", "nodes")
            assert rtype is not None
            capacity = {"cpu": cpu, "memory": memory, "pods": pods, "ephemeral-storage": "100Gi"}
            cluster.objects.update_status(rtype, {**node, "status": {"capacity": capacity,
                                                                     "allocatable": dict(capacity)}})

        self.on_loop(create)

    def pods(self, namespace: str, prefix: str = "") -> list[Obj]:
        return [pod for pod in self.store_list("pods", namespace) if pod["metadata"]["name"].startswith(prefix)]


def start_simulated(directory: Path, nodes: int = 3, speed: float = SPEED, hours_back: float = 3.0,
                    version: str = "1.31.4") -> Sim:
    binary = next(iter(kubectl_support.discover()), None)
    if binary is None:
        pytest.skip("kubectl not found on this machine")
    env = start_sandbox(directory, simulate=True, speed=speed, version=version,
                        start=datetime.now(UTC) - timedelta(hours=hours_back))
    sim = Sim(env, binary)
    sim.on_loop(lambda: bootstrap.create(env.cluster, "storage.k8s.io/v1", "storageclasses", "", {
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer",
        "reclaimPolicy": "Delete"}))
    for index in range(nodes):
        sim.add_node(f"worker-{index}", labels={"topology.kubernetes.io/zone": f"zone-{'abc'[index % 3]}"})
    sim.wait("nodes to be Ready", lambda: all(
        any(c.get("type") == "Ready" and c.get("status") == "True" for c in (n.get("status") or {}).get(
            "conditions") or []) for n in sim.store_list("nodes")) and len(sim.store_list("nodes")) == nodes, 60)
    return sim


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    """A simulated cluster shared by a module's tests (each test uses its own namespace)."""
    found = start_simulated(tmp_path_factory.mktemp("sim"))
    yield found
    found.env.thread.stop()


@pytest.fixture
def ns(sim: Sim, request: pytest.FixtureRequest) -> str:
    base = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:30].strip("-")
    return sim.namespace(base or "sim")


@pytest.fixture
def api(sim: Sim) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(sim.env.kubeconfig))
    with api_client:
        yield api_client


def deployment(name: str, image: str = "nginx:1.25", replicas: int = 1, annotations: dict[str, str] | None = None,
               container: Obj | None = None, **spec: Any) -> Obj:
    body: Obj = {"name": "app", "image": image}
    body.update(container or {})
    template: Obj = {"metadata": {"labels": {"app": name}}, "spec": {"containers": [body]}}
    if annotations:
        template["metadata"]["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template, **spec}}


def condition(obj: Obj, kind: str) -> Obj | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)


def table(output: str) -> list[dict[str, str]]:
    """Rows of a kubectl table keyed by header, cut at the header's column positions (cells may be blank)."""
    lines = [line for line in output.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0]
    starts = [0] + [match.end() for match in re.finditer(r"\s{2,}(?=\S)", header)]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    names = [header[start:end].strip() for start, end in bounds]
    return [{name: line[start:end].strip() for name, (start, end) in zip(names, bounds, strict=True)}
            for line in lines[1:]]
