"""The shape every simulated control-plane component shares: it is told about store changes of the types it
watches, turns them into keys on its own work queue, and reconciles each key on the event loop, writing
through the cluster's ObjectAPI. Work that is due later (back-offs, deadlines, periodic syncs) is a timer in
simulated time that re-queues the key; nothing polls.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, ClassVar

from kubegenie.sandbox import status
from kubegenie.sandbox.sim.kube import Key, Writer, key_of, timestamp
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

log = logging.getLogger(__name__)

RETRY_BASE = 0.5
RETRY_MAX = 60.0


class Component:
    """Anything the Simulation starts, stops and feeds with changes of the storage keys in `watches`."""

    watches: ClassVar[tuple[str, ...]] = ()

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.cluster = sim.cluster
        self.store = sim.cluster.store
        self.clock = sim.cluster.clock

    def start(self) -> None:
        """Called once the simulation runs; queue work for objects that already exist."""

    def stop(self) -> None:
        """Called when the simulation stops."""

    def on_change(self, change: Change) -> None:
        """A committed write of a watched type."""

    def now(self) -> float:
        return self.clock.time()

    def stamp(self, moment: float | None = None) -> str:
        return timestamp(self.now() if moment is None else moment)


class Controller(Component):
    """A component with a de-duplicating work queue of object keys and per-key timers."""

    name: ClassVar[str] = ""
    """Event source, e.g. "deployment-controller"."""
    manager: ClassVar[str] = "kube-controller-manager"
    primary: ClassVar[str] = ""
    """Storage key of the objects this controller reconciles (its keys name those objects)."""

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self.writer = Writer(self.cluster, self.manager)
        self._pending: dict[Key, None] = {}
        self._due: dict[Key, tuple[float, asyncio.TimerHandle | None]] = {}
        self._failures: dict[Key, int] = {}

    # --- queueing ------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self.primary:
            for obj in self.store.list_sorted(self.primary):
                self.enqueue(key_of(obj))

    def on_change(self, change: Change) -> None:
        if change.key == self.primary:
            self.enqueue(key_of(change.obj))

    def enqueue(self, key: Key) -> None:
        self._pending[key] = None
        self.sim.schedule(self)

    def enqueue_at(self, key: Key, when: float) -> None:
        """Reconcile `key` again at simulated time `when` (the earliest request wins)."""
        current = self._due.get(key)
        if current is not None and current[0] <= when:
            return
        if current is not None:
            self.sim.timers.cancel(current[1])
        handle = self.sim.timers.at(when, self._fire, key, when)
        self._due[key] = (when, handle)

    def enqueue_after(self, key: Key, delay: float) -> None:
        self.enqueue_at(key, self.now() + delay)

    def _fire(self, key: Key, when: float) -> None:
        current = self._due.get(key)
        if current is not None and current[0] == when:
            del self._due[key]
        self.enqueue(key)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    # --- processing ----------------------------------------------------------------------------------------

    def process(self, budget: int) -> int:
        """Reconcile up to `budget` queued keys; returns how many were handled."""
        handled = 0
        while self._pending and handled < budget:
            key = next(iter(self._pending))
            del self._pending[key]
            handled += 1
            try:
                self.reconcile(key)
            except status.ApiError as exc:
                self._retry(key, f"{exc.code} {exc.reason}: {exc.message}", logging.DEBUG)
            except Exception:  # A controller bug must not stop the cluster; client-go requeues with back-off.
                log.exception("%s failed to reconcile %s/%s", type(self).__name__, *key)
                self._retry(key, "unexpected error", logging.DEBUG)
            else:
                self._failures.pop(key, None)
        return handled

    def back_off(self, failures: dict[Key, int], key: Key, backoff: tuple[float, float]) -> None:
        """Count one more failure of `key` in `failures` and try it again after (base, cap) exponential back-off;
        a controller keeps such counters apart from its error retries, whose delays they must not change."""
        count = failures[key] = failures.get(key, 0) + 1
        self.enqueue_after(key, min(backoff[1], backoff[0] * 2 ** (count - 1)))

    def _retry(self, key: Key, why: str, level: int) -> None:
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        delay = min(RETRY_MAX, RETRY_BASE * 2 ** (failures - 1))
        log.log(level, "%s: retrying %s/%s in %.1fs: %s", type(self).__name__, key[0], key[1], delay, why)
        self.enqueue_after(key, delay)

    def reconcile(self, key: Key) -> None:
        raise NotImplementedError

    # --- helpers -------------------------------------------------------------------------------------------

    def get(self, key: Key, storage_key: str | None = None) -> Obj | None:
        return self.store.get(storage_key or self.primary, key[0], key[1])

    def event(self, obj: Obj, kind: str, reason: str, message: str) -> None:
        self.sim.recorder.event(obj, kind, reason, message, self.name)
