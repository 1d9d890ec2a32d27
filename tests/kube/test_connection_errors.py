"""Failures to reach a cluster become errors that say what happened and what to do next."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import pytest

from kubegenie import errors
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.sandbox.tls import CertificateAuthority
from kubegenie.settings import KubeSettings
from tests.kube.conftest import context_of, write_kubeconfig
from tests.support.sandbox import SandboxEnv


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_https_with_the_sandbox_ca_works(tls_sandbox: SandboxEnv, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "ok.yaml", [{"name": "secure", **context_of(tls_sandbox)}])
    registry = ClusterRegistry(KubeSettings(), [path])
    try:
        client = await registry.client("secure")
        version = await client.version()
        assert version["gitVersion"] == "v1.31.4"
        assert client.server.startswith("https://127.0.0.1:")
    finally:
        await registry.close()


async def test_wrong_ca_gives_the_tls_remediation(tls_sandbox: SandboxEnv, tmp_path: Path) -> None:
    other_ca = base64.b64encode(CertificateAuthority.generate("someone-else").cert_pem).decode()
    entry = {**context_of(tls_sandbox), "ca": other_ca, "name": "wrong-ca"}
    path = write_kubeconfig(tmp_path / "wrong.yaml", [entry])
    registry = ClusterRegistry(KubeSettings(), [path])
    try:
        client = await registry.client("wrong-ca")
        with pytest.raises(errors.ClusterUnreachable) as caught:
            await client.version()
        assert "TLS verification failed" in caught.value.message
        assert "certificate-authority-data" in caught.value.remediation
        assert "wrong-ca" in caught.value.remediation
    finally:
        await registry.close()


async def test_dead_port_gives_the_unreachable_remediation(tmp_path: Path) -> None:
    port = _free_port()
    path = write_kubeconfig(tmp_path / "dead.yaml", [{"name": "gone", "server": f"http://127.0.0.1:{port}"}])
    registry = ClusterRegistry(KubeSettings(connect_timeout_seconds=1.0), [path])
    try:
        client = await registry.client("gone")
        with pytest.raises(errors.ClusterUnreachable) as caught:
            await client.version()
        assert "connection refused" in caught.value.message
        assert f"http://127.0.0.1:{port}" in caught.value.message
        assert "server:" in caught.value.remediation and str(path) in caught.value.remediation
    finally:
        await registry.close()


async def test_unresolvable_host_gives_the_dns_remediation(tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "dns.yaml", [{"name": "typo", "server": "https://no-such-host.invalid:6443"}])
    registry = ClusterRegistry(KubeSettings(connect_timeout_seconds=1.0), [path])
    try:
        client = await registry.client("typo")
        with pytest.raises(errors.ClusterUnreachable) as caught:
            await client.version()
        assert "Cannot resolve the host" in caught.value.message
        assert "DNS" in caught.value.remediation
    finally:
        await registry.close()


async def test_not_found_and_conflict_are_translated(sandbox: SandboxEnv, namespace: str, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "s.yaml", [{"name": "s", **context_of(sandbox)}])
    registry = ClusterRegistry(KubeSettings(), [path])
    try:
        client = await registry.client("s")
        from kubegenie.kube.client import ResourcePath

        configmaps = ResourcePath("", "v1", "configmaps")
        with pytest.raises(errors.NotFound) as missing:
            await client.get(configmaps, "nope", namespace)
        assert 'configmaps "nope" not found' in missing.value.message
        await client.create(configmaps, {"metadata": {"name": "once"}}, namespace)
        with pytest.raises(errors.Conflict) as twice:
            await client.create(configmaps, {"metadata": {"name": "once"}}, namespace)
        assert "already exists" in twice.value.message
    finally:
        await registry.close()
