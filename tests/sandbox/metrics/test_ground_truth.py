"""The ground truth agrees with what the metrics show: a leaking pod's memory rises between the OOM kills
it records, a spiky pod's CPU spikes inside its recorded windows, diurnal pods peak on weekday afternoons."""

from __future__ import annotations

import io
import itertools
import json
import re
from typing import Any

import pytest

from kubegenie.sandbox.sim import usage
from kubegenie.sandbox.telemetry.export import export_history
from tests.support.scenario import ScenarioEnv


def _truth(env: ScenarioEnv) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(env.http("/sandbox/ground-truth"))
    return document


def _container(truth: dict[str, Any], namespace: str, prefix: str) -> dict[str, Any]:
    return next(c for c in truth["containers"] if c["namespace"] == namespace and c["pod"].startswith(prefix))


def _export(env: ScenarioEnv, start: float, end: float, step: float = 60.0) -> dict[str, list[tuple[float, float]]]:
    """Exported samples per (metric, pod) in [start, end]."""
    buffer = io.StringIO()
    env.on_loop(lambda: export_history(env.telemetry.history, buffer, step, start, end))
    found: dict[str, list[tuple[float, float]]] = {}
    for line in buffer.getvalue().splitlines():
        match = re.match(r'(\w+)\{.*?pod="([^"]+)".*\} (\S+) (\S+)$', line)
        if match:
            found.setdefault(f"{match.group(1)}/{match.group(2)}", []).append(
                (float(match.group(4)), float(match.group(3))))
    return found


def test_document_shape(patterns: ScenarioEnv) -> None:
    truth = _truth(patterns)
    assert truth["schema"] == "sandbox.kubegenie.io/ground-truth/v1"
    assert truth["history"]["seconds"] == 7 * 86400
    assert truth["history"]["start"] == pytest.approx(truth["loadedAt"] - 7 * 86400)
    assert truth["weekdayPeak"]["hourUtc"] == 14
    assert {c["pattern"] for c in truth["containers"]} == {"steady", "diurnal", "spiky", "leak"}
    assert len(truth["nodes"]) == 2 and all(n["hourlyPrice"] == 0.192 for n in truth["nodes"])


def test_a_leaking_pod_rises_until_each_recorded_oom_kill(patterns: ScenarioEnv) -> None:
    truth = _truth(patterns)
    leak = _container(truth, "jobs", "leaky-")
    kills = leak["leak"]["oomKills"]
    assert len(kills) >= 13  # 7 days with a kill every 12 hours (and 10 s)
    assert leak["leak"]["oomEverySeconds"] == pytest.approx(usage.LEAK_GROWTH_SECONDS * (300 / 100 - 1))
    kill = kills[-2]
    samples = _export(patterns, kill - 6 * 3600, kill + 1800)[f"container_memory_working_set_bytes/{leak['pod']}"]
    before = [value for at, value in samples if at < kill]
    after = [value for at, value in samples if at > kill + 60]
    assert before == sorted(before) or max(b2 - b1 for b1, b2 in itertools.pairwise(before)) > 0
    assert before[-1] > 0.95 * 300 * 2**20
    assert after and after[0] < 0.5 * before[-1]
    live = patterns.get_json("pods", "-n", "jobs", "-l", "app=leaky")["items"][0]["status"]["containerStatuses"][0]
    assert live["restartCount"] >= len(kills) - 1
    assert live["lastState"]["terminated"]["reason"] == "OOMKilled"


def test_a_spiky_pod_spikes_at_the_recorded_times(patterns: ScenarioEnv) -> None:
    spiky = _container(_truth(patterns), "jobs", "spiky-")
    spikes = spiky["spikes"]
    assert len(spikes) > 100  # about 15% of 672 quarter-hours
    begin, end = spikes[len(spikes) // 2]["start"], spikes[len(spikes) // 2]["end"]
    samples = _export(patterns, begin - 1200, end + 1200)[f"container_cpu_usage_seconds_total/{spiky['pod']}"]

    def rate(lo: float, hi: float) -> float:
        inside = [(at, value) for at, value in samples if lo <= at <= hi]
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])

    assert rate(begin, end) == pytest.approx(0.1 * usage.SPIKE_FACTOR, rel=0.02)
    quiet = [(a, b) for a, b in ((begin - 1200, begin - 60), (end + 60, end + 1200))
             if not any(s["start"] < b and s["end"] > a for s in spikes)]
    for lo, hi in quiet:
        assert rate(lo, hi) == pytest.approx(0.1, rel=0.02)


def test_diurnal_pods_peak_on_weekday_afternoons(patterns: ScenarioEnv) -> None:
    truth = _truth(patterns)
    diurnal = _container(truth, "web", "diurnal-")
    assert f"web/{diurnal['pod']}/app" in truth["weekdayPeak"]["containers"]
    start = truth["history"]["start"]
    samples = _export(patterns, start, truth["loadedAt"], 3600)[f"container_cpu_usage_seconds_total/{diurnal['pod']}"]
    hourly = [((a + b) / 2, (vb - va) / (b - a)) for (a, va), (b, vb) in itertools.pairwise(samples)]
    weekday = [(at, r) for at, r in hourly if int(at // 86400 + 3) % 7 < 5]
    weekend = [(at, r) for at, r in hourly if int(at // 86400 + 3) % 7 >= 5]
    peak_at, peak = max(weekday, key=lambda item: item[1])
    assert 13 <= (peak_at % 86400) / 3600 <= 15
    assert peak == pytest.approx(0.4 * 1.5, rel=0.02)
    if weekend:
        assert max(r for _, r in weekend) == pytest.approx(0.4 * 1.5 * 0.6, rel=0.05)
