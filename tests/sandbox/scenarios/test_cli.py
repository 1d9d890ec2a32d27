"""`kubegenie sandbox up --scenario ...` and `kubegenie sandbox export-metrics` as a user runs them."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.support.scenario import kubectl_binary


def _kubegenie(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubegenie", *args], capture_output=True, text=True, timeout=timeout)


def test_usage_errors_exit_2_without_a_traceback(tmp_path: Path) -> None:
    missing = _kubegenie("sandbox", "up", "--scenario", str(tmp_path / "nope.yaml"), "--kubeconfig",
                         str(tmp_path / "kc"))
    assert missing.returncode == 2
    assert "Error: no scenario" in missing.stderr and "Traceback" not in missing.stderr
    half = _kubegenie("sandbox", "up", "--nodes", "3", "--kubeconfig", str(tmp_path / "kc"))
    assert half.returncode == 2
    assert "Error: --nodes and --pods go together" in half.stderr
    history = _kubegenie("sandbox", "export-metrics", "--history", "a week", "-o", str(tmp_path / "m.om"))
    assert history.returncode == 2
    assert "invalid duration 'a week'" in history.stderr


def test_export_metrics_writes_openmetrics_and_ground_truth(tmp_path: Path) -> None:
    output, truth = tmp_path / "out" / "empty.om", tmp_path / "truth.json"
    result = _kubegenie("sandbox", "export-metrics", "--scenario", "empty", "--history", "6h", "--step", "5m",
                        "--seed", "4", "-o", str(output), "--ground-truth", str(truth))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Wrote ") and "series" in result.stdout
    text = output.read_text()
    assert text.startswith("# HELP container_cpu_usage_seconds Cumulative cpu time consumed in seconds.\n"
                           "# TYPE container_cpu_usage_seconds counter\n")
    assert text.endswith("# EOF\n")
    samples = [line for line in text.splitlines() if line.startswith("container_memory_working_set_bytes{")]
    times = sorted({float(line.rsplit(" ", 1)[1]) for line in samples})
    assert len(times) == 6 * 12 + 1 or len(times) == 6 * 12
    assert all(b - a == 300 for a, b in itertools.pairwise(times))
    document = json.loads(truth.read_text())
    assert document["clusters"][0]["scenario"] == "empty"
    assert document["clusters"][0]["seed"] == 4


def test_up_serves_the_scenario_until_interrupted(tmp_path: Path) -> None:
    kubeconfig, truth = tmp_path / "kubeconfig", tmp_path / "truth.json"
    command = [sys.executable, "-m", "kubegenie", "sandbox", "up", "--scenario", "empty", "--port", "0",
               "--kubeconfig", str(kubeconfig), "--ground-truth", str(truth), "--name", "shop-test"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("Sandbox cluster 'shop-test' ready at http://127.0.0.1:"), line
            binary = kubectl_binary()
            nodes = binary.run(kubeconfig, tmp_path / "cache", "get", "nodes", "--no-headers", timeout=60)
            assert nodes.returncode == 0, nodes.stderr
            assert len(nodes.stdout.strip().splitlines()) == 3
            assert json.loads(truth.read_text())["clusters"][0]["cluster"] == "shop-test"
        finally:
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "shop-test" in kubeconfig.read_text():
        time.sleep(0.1)
    assert not (yaml.safe_load(kubeconfig.read_text()) or {}).get("contexts")
