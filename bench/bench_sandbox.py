"""Sandbox API server figures with 10,000 pods on 500 nodes, printed side by side in one run: the full pod
list through the official Python client (JSON) and `kubectl get pods -A`; the sandbox's RSS; single-object
GET requests per second; and the time for 1,000 concurrent watchers to all see one change."""

from __future__ import annotations

import asyncio
import gc
import json
import shutil
import subprocess
import time
from pathlib import Path

import aiohttp
import yaml
from bench.common import loaded_sandbox, machine, percentile, rss_mb
from kubernetes import client, config

NODES, PODS, WATCHERS = 500, 10_000, 1_000


def python_client_list(kubeconfig: Path) -> tuple[float, float, float, int, int]:
    """(seconds until the whole body arrived, seconds for `json.loads`, seconds for `json.loads` with the
    garbage collector paused, pods, bytes) for the full pod list through the official client."""
    api = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))
    started = time.perf_counter()
    response = api.list_pod_for_all_namespaces(_preload_content=False)
    body = response.data
    received = time.perf_counter()
    items = json.loads(body)["items"]
    decoded = time.perf_counter() - received
    del items
    gc.collect()
    gc.disable()  # the usual bulk-load idiom: no collections while ~1.5 million new objects are built
    try:
        paused_started = time.perf_counter()
        items = json.loads(body)["items"]
        paused = time.perf_counter() - paused_started
    finally:
        gc.enable()
    return received - started, decoded, paused, len(items), len(body)


def kubectl_get(kubeconfig: Path) -> tuple[float, int]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return float("nan"), 0
    started = time.perf_counter()
    result = subprocess.run([kubectl, "--kubeconfig", str(kubeconfig), "get", "pods", "-A"], check=True,
                            capture_output=True, text=True)
    return time.perf_counter() - started, len(result.stdout.splitlines()) - 1


async def gets_per_second(server: str, seconds: float = 5.0, concurrency: int = 32) -> tuple[float, float]:
    url = f"{server}/api/v1/namespaces/team-03/pods/app-00-00003"
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                assert response.status == 200
            latencies.append(time.perf_counter() - t0)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, percentile(latencies, 99) * 1000


async def watchers_notified(server: str) -> tuple[float, int]:
    url = f"{server}/api/v1/namespaces/team-05/pods"
    params = {"watch": "true", "fieldSelector": "metadata.name=app-00-00005", "resourceVersion": ""}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as session:
        list_rv = (await (await session.get(url, params={"limit": "1"})).json())["metadata"]["resourceVersion"]
        params["resourceVersion"] = list_rv
        ready, seen = asyncio.Event(), []
        opened = 0

        async def watch() -> None:
            nonlocal opened
            async with session.get(url, params=params) as response:
                opened += 1
                if opened == WATCHERS:
                    ready.set()
                async for line in response.content:
                    event = json.loads(line)
                    if event["type"] == "MODIFIED":
                        seen.append(time.perf_counter())
                        return

        tasks = [asyncio.create_task(watch()) for _ in range(WATCHERS)]
        await asyncio.wait_for(ready.wait(), 60)
        await asyncio.sleep(0.5)
        started = time.perf_counter()
        patch = {"metadata": {"labels": {"bench": "changed"}}}
        async with session.patch(f"{url}/app-00-00005", json=patch,
                                 headers={"Content-Type": "application/merge-patch+json"}) as response:
            assert response.status == 200, await response.text()
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        return max(seen) - started, len(seen)


def main() -> None:
    print(f"machine: {machine()}")
    with loaded_sandbox(NODES, PODS) as (kubeconfig, pid):
        server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
        fetch, decode, paused, count, size = python_client_list(kubeconfig)
        print(f"full pod list via the Python client (JSON, {count} pods, {size / 2**20:.0f} MB, "
              f"{size // count} bytes a pod): {fetch:.2f} s until the last byte, then")
        print(f"  json.loads:                                    + {decode:.2f} s = {fetch + decode:.2f} s   "
              f"[target < 1 s]")
        print(f"  json.loads with the garbage collector paused:  + {paused:.2f} s = {fetch + paused:.2f} s   "
              f"[target < 1 s]")
        seconds, rows = kubectl_get(kubeconfig)
        print(f"kubectl get pods -A ({rows} rows):                       {seconds:.2f} s   [target < 3 s]")
        print(f"sandbox RSS with {PODS} pods on {NODES} nodes:           {rss_mb(pid):.0f} MB   [target < 600 MB]")
        rate, p99 = asyncio.run(gets_per_second(server))
        print(f"single-object GET: {rate:.0f} requests/s with 32 concurrent clients, p99 {p99:.1f} ms")
        seconds, notified = asyncio.run(watchers_notified(server))
        print(f"{notified} concurrent watchers all saw one change in {seconds * 1000:.0f} ms   [target < 1 s]")


if __name__ == "__main__":
    main()
