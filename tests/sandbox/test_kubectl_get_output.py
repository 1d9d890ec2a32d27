"""What kubectl adds to server-side tables from the rows' object metadata (`-A`, `--show-labels`, `-L`,
`--sort-by` with `includeObject=Object`), the non-table outputs (`-o name|jsonpath|custom-columns`), and
`kubectl get -w` printing the one-row tables of a watch, for every kubectl binary."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support import kubectl
from tests.support.sandbox import SandboxEnv
from tests.support.tables import create, ok

pytestmark = pytest.mark.kubectl
BINARIES = kubectl.params()


def pod(name: str, namespace: str, image: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [{"name": "app", "image": image}]}}


def lines(output: str) -> list[list[str]]:
    """Each line split at runs of two or more spaces (cells here never contain two spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in output.splitlines() if line.strip()]


@pytest.fixture
def pods(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> tuple[str, str]:
    """Three labelled pods in the test's namespace and one in a second namespace; returns both names."""
    other = f"{namespace}-b"
    create(sandbox, binary, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}})
    create(sandbox, binary, None,
           pod("charlie", namespace, "nginx:1.25", {"app": "web", "suite": namespace}),
           pod("alpha", namespace, "redis:7", {"app": "cache", "suite": namespace}),
           pod("bravo", namespace, "busybox:1.36", {"suite": namespace}),
           pod("delta", other, "nginx:1.25", {"app": "web", "suite": namespace}))
    return namespace, other


@pytest.mark.parametrize("binary", BINARIES)
def test_all_namespaces_labels_and_label_columns(sandbox: SandboxEnv, binary: kubectl.Kubectl,
                                                 pods: tuple[str, str]) -> None:
    namespace, other = pods
    selector = f"suite={namespace}"
    table = lines(ok(sandbox, binary, "get", "pods", "-A", "-l", selector))
    assert table[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [row[:4] for row in table[1:]] == [[namespace, "alpha", "0/1", "Pending"],
                                              [namespace, "bravo", "0/1", "Pending"],
                                              [namespace, "charlie", "0/1", "Pending"],
                                              [other, "delta", "0/1", "Pending"]]

    table = lines(ok(sandbox, binary, "-n", namespace, "get", "pods", "--show-labels"))
    assert table[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    assert {row[0]: row[-1] for row in table[1:]} == {"alpha": f"app=cache,suite={namespace}",
                                                      "bravo": f"suite={namespace}",
                                                      "charlie": f"app=web,suite={namespace}"}

    output = ok(sandbox, binary, "-n", namespace, "get", "pods", "-L", "app", "-o", "wide")
    header = output.splitlines()[0]
    assert re.split(r"\s{2,}", header.strip()) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                                   "NOMINATED NODE", "READINESS GATES", "APP"]
    column = header.index("APP")
    assert {line.split()[0]: line[column:].strip() for line in output.splitlines()[1:]} == {
        "alpha": "cache", "bravo": "", "charlie": "web"}


@pytest.mark.parametrize("binary", BINARIES)
def test_sort_by_uses_the_embedded_objects(sandbox: SandboxEnv, binary: kubectl.Kubectl,
                                           pods: tuple[str, str]) -> None:
    namespace, _ = pods
    by_name = lines(ok(sandbox, binary, "-n", namespace, "get", "pods", "--sort-by=.metadata.name"))
    assert [row[0] for row in by_name[1:]] == ["alpha", "bravo", "charlie"]
    by_image = lines(ok(sandbox, binary, "-n", namespace, "get", "pods", "--sort-by=.spec.containers[0].image"))
    assert by_image[0][:3] == ["NAME", "READY", "STATUS"]
    assert [row[0] for row in by_image[1:]] == ["bravo", "charlie", "alpha"]


@pytest.mark.parametrize("binary", BINARIES)
def test_name_jsonpath_and_custom_columns(sandbox: SandboxEnv, binary: kubectl.Kubectl,
                                          pods: tuple[str, str]) -> None:
    namespace, _ = pods
    assert ok(sandbox, binary, "-n", namespace, "get", "pods", "-o", "name").split() == [
        "pod/alpha", "pod/bravo", "pod/charlie"]
    jsonpath = ok(sandbox, binary, "-n", namespace, "get", "pods", "-o",
                  "jsonpath={range .items[*]}{.metadata.name}={.spec.containers[0].image}{'\\n'}{end}")
    assert jsonpath.split() == ["alpha=redis:7", "bravo=busybox:1.36", "charlie=nginx:1.25"]
    table = lines(ok(sandbox, binary, "-n", namespace, "get", "pods", "-o",
                     "custom-columns=NAME:.metadata.name,APP:.metadata.labels.app,PHASE:.status.phase"))
    assert table == [["NAME", "APP", "PHASE"], ["alpha", "cache", "Pending"], ["bravo", "<none>", "Pending"],
                     ["charlie", "web", "Pending"]]


@pytest.mark.parametrize("binary", BINARIES)
def test_watch_prints_table_rows(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    create(sandbox, binary, None, pod("first", namespace, "nginx", {"app": "web"}))
    stream = binary.popen(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, "get", "pods", "-w")

    def shows(pattern: str) -> bool:
        return stream.wait_for(lambda lines: any(re.fullmatch(pattern, line) for line in lines))

    try:
        assert shows(r"NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE"), stream.lines
        assert shows(r"first\s+0/1\s+Pending\s+0\s+\d+s"), stream.lines
        create(sandbox, binary, None, pod("second", namespace, "nginx", {"app": "web"}))
        assert shows(r"second\s+0/1\s+Pending\s+0\s+\d+s"), stream.lines
        ok(sandbox, binary, "-n", namespace, "patch", "pod", "second", "--subresource=status", "--type=merge",
           "-p", json.dumps({"status": {"phase": "Running", "containerStatuses": [
               {"name": "app", "ready": True, "restartCount": 0, "image": "nginx", "imageID": "",
                "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}]}}))
        assert shows(r"second\s+1/1\s+Running\s+0\s+\d+s"), stream.lines
    finally:
        stream.stop()
    # Headers come once: every later event is a row of the first table.
    assert sum(1 for line in stream.lines if line.startswith("NAME ")) == 1
