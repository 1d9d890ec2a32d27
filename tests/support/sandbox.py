"""A sandbox cluster served from a background thread for tests, with its kubeconfig and kubectl cache."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.runtime import SandboxConfig, SandboxThread
from tests.support.kubectl import Kubectl

_counter = itertools.count(1)


@dataclass
class SandboxEnv:
    thread: SandboxThread
    kubeconfig: Path
    cache_dir: Path

    @property
    def url(self) -> str:
        return self.thread.sandbox.url

    @property
    def cluster(self) -> Cluster:
        return self.thread.sandbox.clusters[0]

    def kubectl(self, binary: Kubectl, *args: str, input: str | None = None, check: bool = False,
                timeout: float = 60) -> object:
        return binary.run(self.kubeconfig, self.cache_dir, *args, input=input, check=check, timeout=timeout)

    def settle(self) -> None:
        async def run() -> None:
            await self.cluster.settle()

        self.thread.call(run)


def start_sandbox(directory: Path, **config: object) -> SandboxEnv:
    directory.mkdir(parents=True, exist_ok=True)
    kubeconfig = directory / "kubeconfig"
    thread = SandboxThread(SandboxConfig(kubeconfig=kubeconfig, **config)).start()  # type: ignore[arg-type]
    return SandboxEnv(thread, kubeconfig, directory / "cache")


def unique_name(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"
