"""The Prometheus round trip: a real Prometheus (Debian's package) backfilled with the sandbox's exported week
and scraping its `/metrics` answers PromQL written for real clusters with the simulated values, for the
current rate per namespace and for 7-day range queries."""

from __future__ import annotations

import itertools
import json
import math
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from kubegenie.sandbox.telemetry import series
from kubegenie.sandbox.telemetry.history import ContainerSeries
from tests.support.scenario import ScenarioEnv

STEP = 600
HOUR = 3600


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: object) -> Any:
        query = urllib.parse.urlencode({key: str(value) for key, value in params.items()})
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=30) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        params: dict[str, object] = {"query": promql}
        if at is not None:
            params["time"] = at
        result: list[dict[str, Any]] = self.get("/api/v1/query", **params)["result"]
        return result

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/api/v1/query_range", query=promql, start=start, end=end,
                                                step=step)["result"]
        return result


@pytest.fixture(scope="module")
def prometheus(patterns: ScenarioEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    binary, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if binary is None or promtool is None:
        pytest.skip("Prometheus is not installed (scripts/ensure-services installs Debian's prometheus)")
    work = tmp_path_factory.mktemp("prometheus")
    data = work / "data"
    # The week at a coarse step, and the last quarter hour at a fine one, so a live `rate(...[5m])` has samples
    # across its whole window from the first scrape on.
    for name, step, since in (("week.om", f"{STEP}s", "7d"), ("recent.om", "15s", "15m")):
        history = work / name
        exported = subprocess.run([sys.executable, "-m", "kubegenie", "sandbox", "export-metrics", "--from",
                                   patterns.url, "--step", step, "--history", since, "-o", str(history)],
                                  capture_output=True, text=True, timeout=300)
        assert exported.returncode == 0, exported.stderr
        backfill = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(history), str(data)],
                                  capture_output=True, text=True, timeout=300)
        assert backfill.returncode == 0, backfill.stderr
    sandbox = urllib.parse.urlsplit(patterns.url).netloc
    config = work / "prometheus.yml"
    # Backfilled series carry no job or instance label; dropping them from scraped samples continues the same
    # series, as a backfill meant to join live data is set up.
    config.write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                      "scrape_configs:\n- job_name: sandbox\n  static_configs:\n"
                      f"  - targets: ['{sandbox}']\n"
                      "  metric_relabel_configs:\n  - {action: labeldrop, regex: 'job|instance'}\n")
    port = _free_port()
    command = [binary, f"--config.file={config}", f"--storage.tsdb.path={data}",
               f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=30d"]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        client = Prometheus(f"http://127.0.0.1:{port}")
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    scrapes = client.query('count_over_time(up{job="sandbox"}[1m])')
                    if scrapes and int(scrapes[0]["value"][1]) >= 4:
                        break
                except OSError:
                    pass
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "Prometheus did not scrape the sandbox within 60 s"
                time.sleep(0.5)
            yield client
        finally:
            process.terminate()
            _, errors = process.communicate(timeout=30)
            del errors


def _containers(env: ScenarioEnv) -> list[ContainerSeries]:
    return env.on_loop(lambda: list(env.telemetry.history.containers()))


def _counter(item: ContainerSeries, at: float) -> float:
    run = item.run_at(at)
    assert run is not None
    return series.cpu_seconds(item.spec, run.start, at)


def test_rate_per_namespace_is_the_simulated_usage(prometheus: Prometheus, patterns: ScenarioEnv) -> None:
    now = patterns.now()
    result = prometheus.query("sum by (namespace) (rate(container_cpu_usage_seconds_total[5m]))", now)
    measured = {sample["metric"]["namespace"]: float(sample["value"][1]) for sample in result}
    expected: dict[str, float] = {}
    for item in _containers(patterns):
        run = item.run_at(now)
        if run is None:
            continue
        window = min(300.0, now - run.start)
        expected[item.namespace] = expected.get(item.namespace, 0.0) + series.cpu_seconds(
            item.spec, now - window, now) / window
    assert set(measured) == set(expected) == {"web", "jobs"}
    for namespace, value in expected.items():
        assert measured[namespace] == pytest.approx(value, rel=0.05), namespace


def test_seven_day_cpu_range_query_follows_the_weekday_peak(prometheus: Prometheus, patterns: ScenarioEnv) -> None:
    end = math.floor((patterns.telemetry.history.loaded_at - HOUR) / HOUR) * HOUR
    start = end - 7 * 86400 + 3 * HOUR
    result = prometheus.query_range('sum(rate(container_cpu_usage_seconds_total{pod=~"diurnal-.*"}[1h]))',
                                    start, end, HOUR)
    points = [(float(at), float(value)) for at, value in result[0]["values"]]
    assert len(points) == (end - start) // HOUR + 1
    diurnal = next(item for item in _containers(patterns) if item.pod.startswith("diurnal-"))
    for at, value in points:
        first = at - HOUR  # Prometheus 2 range selectors include the sample at the window's start
        slope = (_counter(diurnal, at) - _counter(diurnal, first)) / (at - first)
        assert value == pytest.approx(slope, rel=1e-3)
    weekday = [(at, value) for at, value in points if int(at // 86400 + 3) % 7 < 5]
    peak_at, peak = max(weekday, key=lambda point: point[1])
    assert 14 <= (peak_at % 86400) / HOUR <= 15
    assert peak == pytest.approx(0.4 * 1.5, rel=0.02)


def test_seven_day_memory_range_query_shows_the_leak_and_its_oom_kills(prometheus: Prometheus,
                                                                        patterns: ScenarioEnv) -> None:
    truth = json.loads(patterns.http("/sandbox/ground-truth"))
    leak = next(c for c in truth["containers"] if c["pod"].startswith("leaky-"))
    end = math.floor((truth["loadedAt"] - HOUR) / HOUR) * HOUR
    start = end - 7 * 86400 + 3 * HOUR
    result = prometheus.query_range(
        f'max(max_over_time(container_memory_working_set_bytes{{pod="{leak["pod"]}"}}[1h]))', start, end, HOUR)
    values = [float(value) for _, value in result[0]["values"]]
    limit = 300 * 2**20
    assert max(values) <= limit and max(values) > 0.95 * limit
    drops = sum(1 for before, after in itertools.pairwise(values) if after < 0.7 * before)
    kills = [kill for kill in leak["leak"]["oomKills"] if start < kill <= end - HOUR]
    assert abs(drops - len(kills)) <= 1, (drops, kills)
    pod = patterns.get_json("pod", "-n", "jobs", leak["pod"])
    current = pod["status"]["containerStatuses"][0]["containerID"].rpartition("://")[2]
    now = patterns.now()
    live = prometheus.query(f'container_memory_working_set_bytes{{pod="{leak["pod"]}",name="{current}"}}', now)
    item = next(item for item in _containers(patterns) if item.pod == leak["pod"])
    run = item.run_at(now)
    assert run is not None and len(live) == 1
    assert float(live[0]["value"][1]) == pytest.approx(series.memory_bytes(item.spec, now, run.start), rel=0.03)
