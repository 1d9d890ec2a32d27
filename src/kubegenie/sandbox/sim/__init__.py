"""The living part of a sandbox cluster: one Simulation per Cluster runs its scheduler, kubelets, storage and
workload controllers on the event loop, fed by the store's change stream and by timers in simulated time.

Other features plug in here: `add()` a Component (a metrics engine, a scenario's extra actors) or
`subscribe()` to changes of a storage key; `container_runs()` and `usage()` expose what the kubelets ran.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubegenie.sandbox.sim.controller import Component, Controller
from kubegenie.sandbox.sim.events import EVENT_TTL, EventExpiry, EventRecorder
from kubegenie.sandbox.sim.timers import Timers
from kubegenie.sandbox.store import Change

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster
    from kubegenie.sandbox.metricsource import UsageSource
    from kubegenie.sandbox.sim.kubelet import ContainerRun, Kubelet
    from kubegenie.sandbox.sim.podindex import PodIndex

WORK_BUDGET = 256
"""Keys reconciled per event-loop turn before yielding to API requests."""


@dataclass(frozen=True)
class SimulationOptions:
    seed: int = 0
    event_ttl: float = EVENT_TTL


class Simulation:
    """Starts, feeds and stops every simulated component of one cluster."""

    def __init__(self, cluster: Cluster, options: SimulationOptions | None = None) -> None:
        self.cluster = cluster
        self.options = options or SimulationOptions()
        self.clock = cluster.clock
        self.seed = self.options.seed
        self.rng = random.Random(self.seed)
        self.timers = Timers(cluster.clock)
        self.recorder = EventRecorder(cluster, self.timers)
        self.components: list[Component] = []
        self._subscribers: dict[str, list[Callable[[Change], None]]] = defaultdict(list)
        self._dirty: dict[Controller, None] = {}
        self._scheduled = False
        self._listening = False
        self.running = False
        self._previous_usage: UsageSource | None = None
        self.pods: PodIndex = self._index()
        self.kubelet: Kubelet = self._build()

    def _index(self) -> PodIndex:
        from kubegenie.sandbox.sim.podindex import PodIndex

        index = PodIndex(self)
        self.add(index)  # first, so every other component sees it current
        return index

    def _build(self) -> Kubelet:
        from kubegenie.sandbox.sim import controllers, scheduler, storage
        from kubegenie.sandbox.sim.kubelet import Kubelet

        expiry = EventExpiry(self.cluster, self.timers, self.options.event_ttl)
        self.subscribe("events", expiry.on_change)
        kubelet = Kubelet(self)
        for component in (scheduler.Scheduler(self), kubelet, kubelet.nodes, storage.ClaimController(self),
                          storage.VolumeController(self),
                          *(factory(self) for factory in controllers.ALL)):
            self.add(component)
        return kubelet

    # --- plumbing ------------------------------------------------------------------------------------------

    def add(self, component: Component) -> Component:
        """Run `component` with this simulation; it receives changes of its `watches` storage keys."""
        self.components.append(component)
        for key in component.watches:
            self.subscribe(key, component.on_change)
        if self.running:
            component.start()
        return component

    def subscribe(self, storage_key: str, handler: Callable[[Change], None]) -> None:
        self._subscribers[storage_key].append(handler)

    def _dispatch(self, change: Change) -> None:
        if not self.running:
            return
        for handler in self._subscribers.get(change.key, ()):
            handler(change)

    def schedule(self, controller: Controller) -> None:
        """Ask for `controller.process` on the next event-loop turn."""
        self._dirty[controller] = None
        if not self._scheduled and self.running:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._drain)

    def _drain(self) -> None:
        self._scheduled = False
        budget = WORK_BUDGET
        while self._dirty and budget > 0 and self.running:
            controller = next(iter(self._dirty))
            budget -= controller.process(budget)
            if not controller.busy:
                self._dirty.pop(controller, None)
        if self._dirty and self.running:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._drain)

    @property
    def idle(self) -> bool:
        return not self._dirty

    async def settle(self, rounds: int = 200) -> None:
        """Let queued work (not timers) run to completion; for tests and start-up."""
        for _ in range(rounds):
            await asyncio.sleep(0)
            if self.idle and self.cluster.gc.idle and self.cluster.namespaces.idle:
                return

    # --- life ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start every component; call on the loop that serves the cluster."""
        if self.running:
            return
        from kubegenie.sandbox.sim.kubelet import pod_grace_period
        from kubegenie.sandbox.sim.usage import PatternUsage

        self.running = True
        self.timers.stopped = False
        self.cluster.simulation = self
        self._previous_usage = self.cluster.usage
        self.cluster.usage = PatternUsage(self.cluster, self.seed)
        self.cluster.graceful_deletion["pods"] = pod_grace_period
        if not self._listening:
            self._listening = True
            self.cluster.store.add_listener(self._dispatch)
        for component in self.components:
            component.start()
        if self._dirty and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._drain)

    def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        self.timers.stop()
        for component in self.components:
            component.stop()
        self.cluster.graceful_deletion.pop("pods", None)
        if self._previous_usage is not None:
            self.cluster.usage = self._previous_usage
        if self.cluster.simulation is self:
            self.cluster.simulation = None

    # --- facts for logs and metrics ------------------------------------------------------------------------

    def container_runs(self, namespace: str, pod: str, container: str) -> list[ContainerRun]:
        """Every start of a container of a pod so far, oldest first (the last one may still be running)."""
        return self.kubelet.container_runs(namespace, pod, container)

    def usage(self, namespace: str, pod: str, container: str, at: float | None = None) -> tuple[float, float] | None:
        """(CPU millicores, memory bytes) of a running container at simulated time `at` (default now)."""
        return self.kubelet.usage(namespace, pod, container, self.clock.time() if at is None else at)
