"""The demo scenario as the conversation cases need it: prod (the demo) and staging (generated), seed 3, a sped-up
clock that starts in the past, and a wait until what the cases state about it has happened (crash loops have
restarted, the canary failed to pull its image, the OOM kill, the failed and the completed jobs, the
rollout past its progress deadline)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kubegenie.sandbox.runtime import SandboxConfig, SandboxThread
from kubegenie.sandbox.scenarios.launch import LaunchOptions

SPEED = 6.0
SEED = 3
HEAD_START = timedelta(hours=4)
"""Simulated time before wall-clock now, so a sped-up clock stays behind the machine's for the whole run."""


def start_demo(directory: Path) -> SandboxThread:
    directory.mkdir(parents=True, exist_ok=True)
    config = SandboxConfig(kubeconfig=directory / "kubeconfig", scenario=LaunchOptions(scenario="demo", clusters=2),
                           speed=SPEED, seed=SEED, start=datetime.now(UTC) - HEAD_START, simulate=True)
    return SandboxThread(config).start()


def _status(pod: dict[str, Any]) -> dict[str, Any]:
    statuses: list[dict[str, Any]] = (pod.get("status") or {}).get("containerStatuses") or [{}]
    return statuses[0]


def _condition(obj: dict[str, Any] | None, kind: str, status: str = "True", reason: str | None = None) -> bool:
    conditions = ((obj or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == kind and c.get("status") == status and reason in (None, c.get("reason"))
               for c in conditions)


def settled(thread: SandboxThread) -> bool:
    """Whether prod shows every state the cases rely on."""

    async def check() -> bool:
        store = thread.sandbox.clusters[0].store
        pods = list(store.iter("pods"))

        def named(prefix: str) -> list[dict[str, Any]]:
            return [p for p in pods if p["metadata"]["name"].startswith(prefix)]

        gateway, payouts, canary = named("payment-gateway-"), named("payouts-worker-"), named("checkout-v2-")
        oom = payouts and ((_status(payouts[0]).get("lastState") or {}).get("terminated") or {}).get("reason")
        pulling = canary and ((_status(canary[0]).get("state") or {}).get("waiting") or {}).get("reason")
        return bool(gateway and all(_status(p).get("restartCount", 0) >= 2 for p in gateway) and oom == "OOMKilled"
                    and pulling in ("ImagePullBackOff", "ErrImagePull")
                    and _condition(store.get("batch/jobs", "data", "nightly-backfill"), "Failed")
                    and _condition(store.get("batch/jobs", "data", "migrate-orders-2024"), "Complete")
                    and _condition(store.get("apps/deployments", "payments", "payment-gateway"), "Progressing",
                                   "False", "ProgressDeadlineExceeded"))

    return thread.call(check)


def wait_settled(thread: SandboxThread, simulated_seconds: float = 900) -> None:
    deadline = time.monotonic() + simulated_seconds / SPEED + 30
    while not settled(thread):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo scenario did not settle within {simulated_seconds:.0f} simulated seconds")
        time.sleep(0.25)
