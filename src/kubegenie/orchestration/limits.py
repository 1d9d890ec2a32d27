"""Concurrency limits: how many tasks of one agent, and about one cluster, run at once in this process.

The in-process queue asks `try_acquire` so it can start the next task that fits instead of waiting behind one
that does not; a Celery worker thread waits in `hold`. Limits are per process: with several workers the
cluster sees at most (workers x limit) requests from one agent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Mapping


class ConcurrencyLimits:
    def __init__(self, *, agent_default: int, per_agent: Mapping[str, int] | None = None, per_cluster: int) -> None:
        self._agent_default = agent_default
        self._per_agent = dict(per_agent or {})
        self._per_cluster = per_cluster
        self._agents: Counter[str] = Counter()
        self._clusters: Counter[str] = Counter()
        self._changed = asyncio.Condition()

    def agent_limit(self, agent: str) -> int:
        return self._per_agent.get(agent, self._agent_default)

    def allows(self, agent: str, cluster: str | None) -> bool:
        return (self._agents[agent] < self._per_agent.get(agent, self._agent_default)
                and self._clusters[cluster or ""] < self._per_cluster)

    def try_acquire(self, agent: str, cluster: str | None) -> bool:
        if not self.allows(agent, cluster):
            return False
        self._agents[agent] += 1
        self._clusters[cluster or ""] += 1
        return True

    def release(self, agent: str, cluster: str | None) -> None:
        key = cluster or ""
        self._agents[agent] -= 1
        self._clusters[key] -= 1
        if self._agents[agent] <= 0:
            del self._agents[agent]
        if self._clusters[key] <= 0:
            del self._clusters[key]

    @contextlib.asynccontextmanager
    async def hold(self, agent: str, cluster: str | None) -> AsyncIterator[None]:
        """Wait for room, run the body, give the room back."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.try_acquire(agent, cluster))
        try:
            yield
        finally:
            self.release(agent, cluster)
            async with self._changed:
                self._changed.notify_all()

    def running(self, agent: str) -> int:
        return self._agents[agent]
