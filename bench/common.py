"""Helpers shared by the benchmark scripts: the machine they ran on, loaded sandboxes in a child process,
percentiles and resident memory."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent


def speed_reference_ms() -> float:
    """Best of three timings of a fixed pure-Python workload (arithmetic, dicts, JSON). Shared hosts vary in
    speed from hour to hour; figures from two runs compare only in proportion to this number."""
    document = {"items": [{"metadata": {"name": f"pod-{i}", "labels": {"app": "web"}}, "n": i} for i in range(2000)]}
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for index in range(1_000_000):
            total += index % 7
        for _ in range(10):
            json.loads(json.dumps(document))
        best = min(best, time.perf_counter() - started)
    return best * 1000


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPU ({model or platform.processor()}), Python {platform.python_version()}, "
            f"speed reference {speed_reference_ms():.0f} ms (lower is faster), "
            f"load average {os.getloadavg()[0]:.2f}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_mb(pid: int | None = None) -> float:
    """Current resident set size in MB (of this process, or of `pid`)."""
    status = Path(f"/proc/{pid or 'self'}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def loaded_sandbox(nodes: int, pods: int, clusters: int = 1) -> Iterator[tuple[Path, int]]:
    """Sandbox cluster(s) loaded with objects in a child process; yields (kubeconfig, child pid)."""
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        child = subprocess.Popen([sys.executable, "-m", "bench.loaded_sandbox", "--nodes", str(nodes),
                                  "--pods", str(pods), "--clusters", str(clusters), "--kubeconfig", str(kubeconfig)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
        try:
            assert child.stdout is not None
            line = child.stdout.readline()
            if not line.startswith("READY"):
                raise RuntimeError(f"loaded sandbox failed to start: {line!r}")
            yield kubeconfig, child.pid
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=30)
