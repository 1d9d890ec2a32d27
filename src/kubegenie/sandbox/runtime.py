"""Starting and stopping sandbox clusters with their servers and kubeconfig contexts, in the foreground
(`kubegenie sandbox up`) or in a background thread (tests, benchmarks, `kubegenie demo`)."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from kubegenie.sandbox import bootstrap
from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.kubeconfig import ContextEntry, merge_into, remove_from
from kubegenie.sandbox.server import SandboxServer, ServerOptions, TokenUser, load_tokens

DEFAULT_CONTEXT = "kubegenie-sandbox"
T = TypeVar("T")


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0
    kubeconfig: Path | None = None
    name: str = DEFAULT_CONTEXT
    tls: bool = False
    tokens_file: Path | None = None
    version: str = "1.31.4"
    tokens: dict[str, TokenUser] = field(default_factory=dict)


def check_loopback(host: str) -> None:
    """The sandbox listens on loopback only; anything else is a usage error."""
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise ValueError(f"--host must be a loopback address such as 127.0.0.1, not {host!r}") from exc
    if not address.is_loopback:
        raise ValueError(f"--host must be a loopback address such as 127.0.0.1, not {host}")


class RunningSandbox:
    """Clusters and their servers, started together and stopped together."""

    def __init__(self, config: SandboxConfig) -> None:
        check_loopback(config.host)
        self.config = config
        self.clusters: list[Cluster] = []
        self.servers: list[SandboxServer] = []

    async def start(self) -> None:
        config = self.config
        tokens = dict(config.tokens)
        if config.tokens_file is not None:
            tokens.update(load_tokens(config.tokens_file))
        cluster = Cluster(config.name, config.version)
        await bootstrap.bootstrap(cluster)
        server = SandboxServer(cluster, ServerOptions(config.host, config.port, config.tls, tokens))
        await server.start()
        self.clusters.append(cluster)
        self.servers.append(server)
        if config.kubeconfig is not None:
            merge_into(config.kubeconfig, self.context_entries(), current=self.clusters[0].name)

    def context_entries(self) -> list[ContextEntry]:
        return [ContextEntry(cluster.name, server.url, cluster.ca.cert_pem if server.options.tls else None)
                for cluster, server in zip(self.clusters, self.servers, strict=True)]

    @property
    def url(self) -> str:
        return self.servers[0].url

    async def stop(self) -> None:
        for server in self.servers:
            await server.stop()
        if self.config.kubeconfig is not None:
            remove_from(self.config.kubeconfig, [cluster.name for cluster in self.clusters])


class SandboxThread:
    """A sandbox on its own event loop in a daemon thread; `call` runs coroutines on that loop."""

    def __init__(self, config: SandboxConfig) -> None:
        self.sandbox = RunningSandbox(config)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="kubegenie-sandbox", daemon=True)

    def start(self) -> SandboxThread:
        self._thread.start()
        self.call(self.sandbox.start)
        return self

    def call(self, func: Callable[[], Awaitable[T]], timeout: float = 60) -> T:
        """Run `func()` on the sandbox's loop and wait for its result."""

        async def run() -> T:
            return await func()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def stop(self) -> None:
        self.call(self.sandbox.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()
