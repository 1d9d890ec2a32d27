"""Starting and stopping sandbox clusters with their servers and kubeconfig contexts, in the foreground
(`kubegenie sandbox up`) or in a background thread (tests, benchmarks, `kubegenie demo`)."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from kubegenie.domain.loopback import check_loopback
from kubegenie.sandbox import bootstrap
from kubegenie.sandbox.clock import Clock
from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.faults import FaultInjector
from kubegenie.sandbox.identity import client_certificate
from kubegenie.sandbox.kubeconfig import ContextEntry, merge_into, remove_from
from kubegenie.sandbox.scenarios.launch import LaunchOptions, launch
from kubegenie.sandbox.server import SandboxServer, ServerOptions, TokenUser, load_tokens
from kubegenie.sandbox.sim import Simulation, SimulationOptions
from kubegenie.sandbox.telemetry.routes import Telemetry
from kubegenie.sandbox.telemetry.routes import handlers as telemetry_routes

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
    faults: dict[str, Any] | None = None
    """A fault document (see `faults.py`) applied when the servers start."""
    simulate: bool = False
    """Run controllers, scheduler and kubelets (`kubegenie sandbox up` does); False keeps a passive API server."""
    speed: float = 1.0
    """How many simulated seconds pass per real second."""
    seed: int = 0
    start: datetime | None = None
    """Simulated time at start-up (default: now); a sped-up cluster started in the past keeps ages positive."""
    scenario: LaunchOptions | None = None
    """Build the clusters from a scenario or the generator, simulated, with usage history and /metrics."""




def settle_memory() -> None:
    """After loading a large cluster, move its objects out of the cyclic collector's way: stored objects are plain
    JSON data (no cycles, freed by reference counting), and full collections over millions of them stall every
    request for half a second."""
    gc.collect()
    gc.freeze()


class RunningSandbox:
    """Clusters and their servers, started together and stopped together."""

    def __init__(self, config: SandboxConfig) -> None:
        check_loopback(config.host)
        self.config = config
        self.clusters: list[Cluster] = []
        self.servers: list[SandboxServer] = []
        self.faults: list[FaultInjector] = []
        """The fault injector of each server, in the order of `servers`."""
        self.simulations: list[Simulation] = []
        self.telemetry: list[Telemetry] = []
        """Usage history and ground truth of each scenario cluster, in the order of `servers`."""

    async def start(self) -> None:
        config = self.config
        tokens = dict(config.tokens)
        if config.tokens_file is not None:
            tokens.update(load_tokens(config.tokens_file))
        if config.scenario is not None:
            await self._start_scenario(config, tokens)
        else:
            cluster = Cluster(config.name, config.version, clock=Clock(config.speed, config.start))
            await bootstrap.bootstrap(cluster)
            if config.simulate:
                simulation = Simulation(cluster, SimulationOptions(seed=config.seed))
                simulation.start()
                self.simulations.append(simulation)
            await self._serve(cluster, config.port, tokens)
        if config.kubeconfig is not None:
            merge_into(config.kubeconfig, self.context_entries(), current=self.clusters[0].name)

    async def _start_scenario(self, config: SandboxConfig, tokens: dict[str, TokenUser]) -> None:
        assert config.scenario is not None
        for index, launched in enumerate(await launch(config.scenario, config.seed, config.speed, config.start)):
            await self._serve(launched.built.cluster, config.port if index == 0 else 0, tokens,
                              telemetry_routes(launched.telemetry))
            self.simulations.append(launched.simulation)
            self.telemetry.append(launched.telemetry)
        settle_memory()

    async def _serve(self, cluster: Cluster, port: int, tokens: dict[str, TokenUser],
                     extra_routes: dict[str, Any] | None = None) -> None:
        """Start a server for the cluster, with its fault injector (configured from the flags)."""
        config = self.config
        server = SandboxServer(cluster, ServerOptions(config.host, port, config.tls, tokens))
        server.extra_routes.update(extra_routes or {})
        self.faults.append(FaultInjector.install(server))
        await server.start()
        if config.faults:
            self.faults[-1].configure(config.faults)
        self.clusters.append(cluster)
        self.servers.append(server)

    def context_entries(self) -> list[ContextEntry]:
        entries = []
        for cluster, server in zip(self.clusters, self.servers, strict=True):
            if server.options.tls:
                # Over HTTPS kubectl sends credentials (and asks for a password without them): the admin context
                # authenticates with a client certificate, as kubeadm's admin.conf does.
                cert, key = client_certificate(cluster.ca)
                entries.append(ContextEntry(cluster.name, server.url, cluster.ca.cert_pem, client_cert_pem=cert,
                                            client_key_pem=key))
            else:
                entries.append(ContextEntry(cluster.name, server.url))
        return entries

    @property
    def url(self) -> str:
        return self.servers[0].url

    async def stop(self) -> None:
        for simulation in self.simulations:
            simulation.stop()
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
        self.call(_finish_leftover_tasks)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


async def _finish_leftover_tasks() -> None:
    """Cancel what is still running on the loop (connection handlers draining a refused upload, say) and let
    it finish, so closing the loop destroys no pending task."""
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)
