"""CustomResourceDefinitions for tests: the files in tests/data/crds, variants of the test Widget CRD under a
group of the test's own, and a sandbox with CRDs installed."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.support.kubectl import Kubectl
from tests.support.sandbox import SandboxEnv, start_sandbox

DATA = Path(__file__).resolve().parent.parent / "data" / "crds"
WIDGETS = "widgets.example.com.yaml"
PROVIDERS = "pkg.crossplane.io_providers.yaml"
FUNCTIONS = "pkg.crossplane.io_functions.yaml"
USAGES = "apiextensions.crossplane.io_usages.yaml"
COMPOSITIONS = "apiextensions.crossplane.io_compositions.yaml"
RDS_INSTANCES = "rds.aws.m.upbound.io_instances.yaml"


def load(filename: str) -> dict[str, Any]:
    document = yaml.safe_load((DATA / filename).read_text())
    assert isinstance(document, dict)
    return document


def widget_crd(group: str) -> dict[str, Any]:
    """The Widget CRD served under `group` (so each test can own its CRD in a shared sandbox)."""
    crd = copy.deepcopy(load(WIDGETS))
    crd["metadata"]["name"] = f"widgets.{group}"
    crd["spec"]["group"] = group
    return crd


def install(env: SandboxEnv, *documents: dict[str, Any]) -> None:
    """Create CRDs as an administrator would, and let their status settle."""
    from kubegenie.sandbox import bootstrap

    async def create() -> None:
        for document in documents:
            bootstrap.create(env.cluster, "apiextensions.k8s.io/v1", "customresourcedefinitions", "",
                             copy.deepcopy(document))
        await env.cluster.settle()

    env.thread.call(create)


def crd_sandbox(directory: Path, *filenames: str) -> SandboxEnv:
    env = start_sandbox(directory)
    install(env, *(load(name) for name in filenames))
    return env


def run(env: SandboxEnv, binary: Kubectl, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return binary.run(env.kubeconfig, env.cache_dir, *args, input=input)


def create_namespace(env: SandboxEnv, name: str) -> str:
    from kubegenie.sandbox import bootstrap

    async def create() -> None:
        bootstrap.create(env.cluster, "v1", "namespaces", "", {"metadata": {"name": name}})
        await env.cluster.settle()

    env.thread.call(create)
    return name


def set_status(env: SandboxEnv, api_version: str, plural: str, namespace: str, name: str,
               status: dict[str, Any]) -> None:
    """Write an object's status as its controller would (Crossplane providers set Ready/Synced)."""
    group, _, version = api_version.rpartition("/")

    async def write() -> None:
        rtype = env.cluster.registry.lookup(group, version, plural)
        assert rtype is not None, f"{plural} is not served at {api_version}"
        current = env.cluster.objects.get(rtype, namespace, name)
        env.cluster.objects.update_status(rtype, {**current, "status": status})
        await env.cluster.settle()

    env.thread.call(write)
