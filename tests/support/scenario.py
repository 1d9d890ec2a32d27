"""Sandboxes loaded from a scenario (demo, empty, a file or the generator) for the scenario, metrics and log
tests: started in a background thread with a sped-up clock that starts in the past (so ages a real kubectl
computes stay positive), with helpers to run kubectl, fetch the extra HTTP routes and wait on simulated time."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.runtime import SandboxThread
from kubegenie.sandbox.scenarios.launch import LaunchOptions
from kubegenie.sandbox.telemetry.routes import Telemetry
from tests.support import kubectl as kubectl_support
from tests.support.polling import wait_simulated
from tests.support.sandbox import start_sandbox

T = TypeVar("T")


@dataclass
class ScenarioEnv:
    thread: SandboxThread
    kubeconfig: Path
    cache_dir: Path
    binary: kubectl_support.Kubectl

    @property
    def cluster(self) -> Cluster:
        return self.thread.sandbox.clusters[0]

    @property
    def telemetry(self) -> Telemetry:
        return self.thread.sandbox.telemetry[0]

    @property
    def url(self) -> str:
        return self.thread.sandbox.url

    @property
    def speed(self) -> float:
        return self.cluster.clock.speed

    def kubectl(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return self.binary.run(self.kubeconfig, self.cache_dir, *args, timeout=timeout)

    def ok(self, *args: str) -> str:
        result = self.kubectl(*args)
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result.stdout

    def get_json(self, *args: str) -> Any:
        return json.loads(self.ok("get", *args, "-o", "json"))

    def http(self, path: str, base: str | None = None) -> bytes:
        with urllib.request.urlopen((base or self.url) + path, timeout=60) as response:
            data: bytes = response.read()
            return data

    def on_loop(self, func: Callable[[], T]) -> T:
        async def run() -> T:
            return func()

        return self.thread.call(run)

    def now(self) -> float:
        return self.cluster.clock.time()

    def wait(self, what: str, check: Callable[[], T | None], simulated: float, poll: float = 0.2) -> T:
        """Poll `check` until it returns something truthy, for at most `simulated` seconds of cluster time."""
        return wait_simulated(what, check, simulated, self.speed, grace=15, poll=poll)

    def stop(self) -> None:
        self.thread.stop()


def kubectl_binary() -> kubectl_support.Kubectl:
    found = kubectl_support.discover()
    if not found:
        pytest.skip("no kubectl on this machine")
    return found[0]


def start_scenario(directory: Path, options: LaunchOptions, speed: float = 1.0, seed: int = 0,
                   head_start: float = 0.0) -> ScenarioEnv:
    """A running scenario sandbox; `head_start` seconds of simulated time lie before wall-clock now, so a
    sped-up clock can run that long before it overtakes the machine's clock."""
    start = datetime.now(UTC) - timedelta(seconds=head_start) if head_start else None
    env = start_sandbox(directory, scenario=options, speed=speed, seed=seed, start=start, simulate=True)
    return ScenarioEnv(env.thread, env.kubeconfig, env.cache_dir, kubectl_binary())
