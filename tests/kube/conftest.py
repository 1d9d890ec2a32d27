"""Fixtures for the cluster access layer: sandboxes over HTTP and HTTPS and kubeconfig files pointing at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kubegenie.sandbox.server import TokenUser
from tests.support.sandbox import SandboxEnv, start_sandbox


@pytest.fixture(scope="module")
def tls_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    tokens = {"alice-token": TokenUser("alice", ("team-a",)), "bob-token": TokenUser("bob")}
    env = start_sandbox(tmp_path_factory.mktemp("tls"), tls=True, tokens=tokens, name="secure")
    yield env
    env.thread.stop()


def write_kubeconfig(path: Path, contexts: list[dict[str, object]], current: str | None = None) -> Path:
    """A kubeconfig with one cluster, user and context per entry: name, server, and optional ca/token."""
    config: dict[str, object] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    for entry in contexts:
        name = str(entry["name"])
        cluster: dict[str, object] = {"server": entry["server"]}
        if "ca" in entry:
            cluster["certificate-authority-data"] = entry["ca"]
        user: dict[str, object] = {"token": entry["token"]} if "token" in entry else {}
        config["clusters"].append({"name": name, "cluster": cluster})  # type: ignore[attr-defined]
        config["users"].append({"name": name, "user": user})  # type: ignore[attr-defined]
        context: dict[str, object] = {"cluster": name, "user": name}
        if "namespace" in entry:
            context["namespace"] = entry["namespace"]
        config["contexts"].append({"name": name, "context": context})  # type: ignore[attr-defined]
    if current:
        config["current-context"] = current
    path.write_text(yaml.safe_dump(config))
    return path


def context_of(env: SandboxEnv) -> dict[str, object]:
    """The sandbox's own kubeconfig entry (server and CA) as written by the sandbox."""
    config = yaml.safe_load(env.kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    entry: dict[str, object] = {"server": cluster["server"]}
    if "certificate-authority-data" in cluster:
        entry["ca"] = cluster["certificate-authority-data"]
    return entry
