"""Event recording as client-go correlates it, checked on a cluster in the test's own loop: repeats bump
count and lastTimestamp, more than ten messages of one reason are combined, the spam filter stops writes
but not counting, series for events.k8s.io recorders, and expiry an hour after the last update."""

from __future__ import annotations

import asyncio

from kubegenie.sandbox import bootstrap
from kubegenie.sandbox.clock import Clock
from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.sim import Simulation
from kubegenie.sandbox.store import Obj


class ManualClock(Clock):
    """A clock tests move by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.at = 1_700_000_000.0

    def time(self) -> float:
        return self.at


async def _cluster(clock: Clock) -> tuple[Cluster, Simulation, Obj]:
    cluster = Cluster(clock=clock)
    await bootstrap.bootstrap(cluster)
    pod = bootstrap.create(cluster, "v1", "pods", "default", {"metadata": {"name": "web"}, "spec": {
        "schedulerName": "manual", "containers": [{"name": "app", "image": "nginx"}]}})
    return cluster, Simulation(cluster), pod


def _events(cluster: Cluster) -> list[Obj]:
    return [e for e in cluster.store.list_sorted("events", "default") if e["involvedObject"]["name"] == "web"]


async def test_repeats_are_counted_on_one_event() -> None:
    clock = ManualClock()
    cluster, sim, pod = await _cluster(clock)
    for step in range(3):
        clock.at += 5 * step
        sim.recorder.event(pod, "Warning", "BackOff", "Back-off restarting failed container", "kubelet", "node-1",
                           "spec.containers{app}")
    [event] = _events(cluster)
    assert event["count"] == 3
    assert event["firstTimestamp"] == "2023-11-14T22:13:20Z" and event["lastTimestamp"] == "2023-11-14T22:13:35Z"
    assert event["source"] == {"component": "kubelet", "host": "node-1"}
    assert event["involvedObject"]["fieldPath"] == "spec.containers{app}"
    assert event["metadata"]["name"].startswith("web.") and event["reportingComponent"] == "kubelet"


async def test_many_messages_of_one_reason_are_combined() -> None:
    clock = ManualClock()
    cluster, sim, pod = await _cluster(clock)
    for index in range(12):
        clock.at += 1
        sim.recorder.event(pod, "Normal", "Pulled", f"pulled layer {index}", "kubelet", "node-1")
    messages = [e["message"] for e in _events(cluster)]
    assert messages[:9] == [f"pulled layer {index}" for index in range(9)]
    combined = [e for e in _events(cluster) if e["message"].startswith("(combined from similar events): ")]
    assert len(combined) == 1
    assert combined[0]["message"] == "(combined from similar events): pulled layer 11"
    assert combined[0]["count"] == 3


async def test_spam_filter_limits_writes_but_keeps_counting() -> None:
    clock = ManualClock()
    cluster, sim, pod = await _cluster(clock)
    for _ in range(40):
        clock.at += 1
        sim.recorder.event(pod, "Warning", "Unhealthy", "Readiness probe failed:", "kubelet", "node-1")
    [event] = _events(cluster)
    assert event["count"] == 25  # the 26th and later were not written yet
    clock.at += 300  # one token back after five minutes
    sim.recorder.event(pod, "Warning", "Unhealthy", "Readiness probe failed:", "kubelet", "node-1")
    [event] = _events(cluster)
    assert event["count"] == 41


async def test_series_events_count_repeats() -> None:
    clock = ManualClock()
    cluster, sim, pod = await _cluster(clock)
    for _ in range(2):
        clock.at += 10
        sim.recorder.series_event(pod, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Too many pods.",
                                  "Scheduling", "default-scheduler", "default-scheduler-cp")
    [event] = _events(cluster)
    assert event["series"]["count"] == 2
    assert event["eventTime"].startswith("2023-11-14T22:13:30.")
    assert event["firstTimestamp"] is None and event["reportingComponent"] == "default-scheduler"
    assert event["action"] == "Scheduling"


async def test_events_expire_an_hour_after_their_last_update() -> None:
    cluster, sim, pod = await _cluster(Clock(speed=200_000.0))
    sim.start()
    try:
        sim.recorder.event(pod, "Normal", "Scheduled", "Successfully assigned default/web to node-1",
                           "default-scheduler")
        assert len(_events(cluster)) == 1
        await asyncio.sleep(0.01)  # 2000 simulated seconds
        assert len(_events(cluster)) == 1
        for _ in range(100):
            await asyncio.sleep(0.005)
            if not _events(cluster):
                break
        assert _events(cluster) == []
    finally:
        sim.stop()
