"""`kubegenie serve` and `kubegenie demo` as a person runs them: real processes on loopback ports, the printed
URLs answering, Ctrl+C stopping them cleanly, and clear messages for a non-loopback host or a taken port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kubegenie.cli import app
from tests.api.conftest import Shop, make_shop
from tests.support.sandbox import SandboxEnv

STARTUP_SECONDS = 90
DEMO_SCENARIO = Path(__file__).resolve().parents[2] / "src" / "kubegenie" / "sandbox" / "scenarios" / "demo.yaml"


def kubegenie_process(*args: str, data_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "KUBEGENIE_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "kubegenie", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def read_until(process: subprocess.Popen[str], marker: str) -> str:
    """Printed lines up to the one containing `marker` (the process must print it within the start-up time)."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return "".join(lines)
    process.kill()
    raise AssertionError(f"no {marker!r} in output: {''.join(lines)!r}; stderr: {process.stderr.read()!r}")


def stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def get_json(url: str, body: dict[str, object] | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def url_in(output: str, label: str) -> str:
    line = next(line for line in output.splitlines() if label in line)
    return line.split(label, 1)[1].strip()


@pytest.fixture
def serving(sandbox: SandboxEnv, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Shop]]:
    shop = make_shop(sandbox, "served")
    process = kubegenie_process("serve", "--port", "0", "--kubeconfig", str(sandbox.kubeconfig),
                                data_dir=tmp_path / "data")
    output = read_until(process, "Press Ctrl+C")
    yield process, output, shop
    if process.poll() is None:
        process.kill()
        process.communicate()


def test_serve_answers_on_the_printed_address_and_stops_on_ctrl_c(
        serving: tuple[subprocess.Popen[str], str, Shop]) -> None:
    process, output, shop = serving
    base = url_in(output, "is serving on")
    assert base.startswith("http://127.0.0.1:")
    assert url_in(output, "Web UI:") == f"{base}/ui/" and url_in(output, "API docs:") == f"{base}/docs"
    assert f"Clusters: {shop.cluster}" in output
    assert get_json(f"{base}/healthz") == {"status": "ok"}
    answer = get_json(f"{base}/api/v1/chat", {"message": f"which pods are failing in {shop.namespace}?"})
    assert isinstance(answer, dict) and shop.failing in json.dumps(answer["tables"])
    with urllib.request.urlopen(f"{base}/ui/", timeout=30) as page:
        assert page.status == 200 and "<html" in page.read().decode()
    code, _, err = stop(process)
    assert code == 0, err
    assert "Traceback" not in err


def test_serve_refuses_a_non_loopback_host() -> None:
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2
    assert "--host must be a loopback address such as 127.0.0.1, not 0.0.0.0" in result.output


def test_serve_names_a_taken_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port 0" in result.output


def test_demo_serves_a_sandbox_with_its_kubeconfig(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    started = time.monotonic()
    process = kubegenie_process("demo", "--port", "0", data_dir=data_dir)
    try:
        output = read_until(process, "Press Ctrl+C")
        ready_after = time.monotonic() - started
        base = url_in(output, "Web UI:").removesuffix("/ui/")
        kubeconfig = data_dir / "demo" / "kubeconfig"
        assert f"kubectl --kubeconfig {kubeconfig} get pods -A" in output
        assert "which pods are failing?" in output
        contexts = [c["name"] for c in yaml.safe_load(kubeconfig.read_text())["contexts"]]
        clusters = get_json(f"{base}/api/v1/clusters")
        assert isinstance(clusters, list) and [c["name"] for c in clusters] == contexts
        assert all(c["status"] == "synced" and c["namespaces"] >= 4 for c in clusters), clusters
        for cluster in clusters:
            assert f"Cluster {cluster['name']}: {cluster['nodes']} nodes, {cluster['pods']} pods" in output
        answer = get_json(f"{base}/api/v1/chat", {"message": "list namespaces"})
        assert isinstance(answer, dict) and "kube-system" in json.dumps(answer["tables"])
        if DEMO_SCENARIO.is_file():
            assert contexts[:2] == ["prod", "staging"] and clusters[0]["pods"] > 10 and clusters[0]["nodes"] >= 3
        else:
            assert contexts == ["kubegenie-demo"]
        assert ready_after < STARTUP_SECONDS
    finally:
        code, _, err = stop(process)
    assert code == 0, err
    assert "Traceback" not in err
    # The demo's context goes away with it.
    assert yaml.safe_load(kubeconfig.read_text())["contexts"] == []
