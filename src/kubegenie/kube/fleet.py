"""Fleet queries: one question fanned out over many clusters with a concurrency limit and a per-cluster
timeout. The result says which clusters answered, which answered from a stale cache (and how stale),
and which failed and why; one slow or dead cluster never blocks the others."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from kubegenie import errors

T = TypeVar("T")


@dataclass
class ClusterOutcome(Generic[T]):
    cluster: str
    value: T | None = None
    error: errors.KubeGenieError | None = None
    stale_seconds: float | None = None
    """Set when the value came from a cache that has lost its watch."""
    took_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class FleetResult(Generic[T]):
    outcomes: list[ClusterOutcome[T]] = field(default_factory=list)

    @property
    def answered(self) -> list[ClusterOutcome[T]]:
        return [o for o in self.outcomes if o.ok]

    @property
    def stale(self) -> list[ClusterOutcome[T]]:
        return [o for o in self.outcomes if o.ok and o.stale_seconds is not None]

    @property
    def failed(self) -> list[ClusterOutcome[T]]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> str:
        """One sentence a person can read: "3 of 4 clusters answered; dev-2 failed: ..."."""
        parts = [f"{len(self.answered)} of {len(self.outcomes)} clusters answered"]
        for outcome in self.stale:
            parts.append(f"{outcome.cluster} answered from a cache {int(outcome.stale_seconds or 0)}s stale")
        for outcome in self.failed:
            assert outcome.error is not None
            parts.append(f"{outcome.cluster} failed: {outcome.error.message}")
        return "; ".join(parts) + "."


async def fan_out(clusters: list[str], ask: Callable[[str], Awaitable[tuple[T, float | None]]], *,
                  concurrency: int = 16, timeout: float = 5.0) -> FleetResult[T]:
    """Run `ask(cluster)` for every cluster; `ask` returns (value, stale_seconds or None)."""
    limit = asyncio.Semaphore(concurrency)

    async def one(cluster: str) -> ClusterOutcome[T]:
        async with limit:
            started = time.perf_counter()
            error: errors.KubeGenieError
            try:
                value, stale = await asyncio.wait_for(ask(cluster), timeout)
                return ClusterOutcome(cluster, value, None, stale, (time.perf_counter() - started) * 1000)
            except TimeoutError:
                error = errors.ClusterUnreachable(
                    f"Cluster '{cluster}' did not answer within {timeout:g}s.",
                    f"Check that cluster ('kubegenie clusters show {cluster}'), or raise "
                    f"KUBEGENIE_KUBE__FLEET_TIMEOUT_SECONDS.")
            except errors.KubeGenieError as exc:
                error = exc
            return ClusterOutcome(cluster, None, error, None, (time.perf_counter() - started) * 1000)

    outcomes = await asyncio.gather(*(one(cluster) for cluster in clusters))
    return FleetResult(list(outcomes))
