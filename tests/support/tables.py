"""Helpers for tests that drive kubectl against the sandbox and read its tables: run a command that must
succeed, create objects from Python dicts, write status as a controller would, and cut `kubectl get`
output into cells by the header's column positions."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

from tests.support.kubectl import Kubectl
from tests.support.sandbox import SandboxEnv

Rows = dict[str, dict[str, str]]


def ok(sandbox: SandboxEnv, binary: Kubectl, *args: str, input: str | None = None) -> str:
    """stdout of a kubectl command that must exit 0."""
    result: subprocess.CompletedProcess[str] = binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args, input=input)
    assert result.returncode == 0, f"{binary.label} {' '.join(args)}: {result.stderr}"
    return result.stdout


def create(sandbox: SandboxEnv, binary: Kubectl, namespace: str | None, *objects: dict[str, Any]) -> None:
    """`kubectl create -f -` of a v1 List (JSON documents separated by `---` confuse some kubectl versions)."""
    document = json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)})
    ok(sandbox, binary, *(("-n", namespace) if namespace else ()), "create", "-f", "-", input=document)


def write_status(sandbox: SandboxEnv, api_version: str, plural: str, namespace: str, name: str,
                 status: dict[str, Any]) -> None:
    """Replace an object's status through the object API's status subresource, as a controller does."""
    group, _, version = api_version.rpartition("/")

    async def write() -> None:
        cluster = sandbox.cluster
        rtype = cluster.registry.lookup(group, version, plural)
        assert rtype is not None, f"no {plural} in {api_version}"
        current = cluster.objects.get(rtype, namespace, name)
        cluster.objects.update_status(rtype, {**current, "status": status})

    sandbox.thread.call(write)


def parse(output: str) -> tuple[list[str], Rows]:
    """Header names and rows keyed by their first cell. Cells are cut at the header's column positions, so
    empty cells and cells with single spaces ("2 (20m ago)", "80, 443") come out right."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "no output"
    spans = [(match.start(), match.group()) for match in re.finditer(r"\S+(?: \S+)*", lines[0])]
    rows: Rows = {}
    for line in lines[1:]:
        cells = {}
        for index, (start, name) in enumerate(spans):
            end = spans[index + 1][0] if index + 1 < len(spans) else None
            cells[name] = line[start:end].strip()
        rows[cells[spans[0][1]]] = cells
    return [name for _, name in spans], rows
