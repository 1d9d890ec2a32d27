"""Sandbox API server figures with 10,000 kubelet-written pods on 500 nodes, printed side by side in one run:
the full pod list through the official Python client (JSON, request to last byte, with what decoding it costs
the client beside it); `kubectl get pods -A` against the sandbox and against a replay of its answers (kubectl's
own share); the sandbox's RSS; single-object GET requests per second; and the time for 1,000 concurrent
watchers to all see one change."""

from __future__ import annotations

import asyncio
import gc
import json
import shutil
import statistics
import time
from pathlib import Path

import aiohttp
import yaml
from bench.common import loaded_sandbox, machine, percentile, rss_mb
from bench.replay import ReplayServer
from kubernetes import client, config

NODES, PODS, WATCHERS = 500, 10_000, 1_000


def python_client_list(api: client.CoreV1Api, runs: int = 5) -> tuple[list[float], bytes]:
    """Wall times of the full pod list through the official client as JSON (`_preload_content=False`:
    the call returns once the last byte of the JSON list has arrived), and the body."""
    times, body = [], b""
    for _ in range(runs):
        started = time.perf_counter()
        body = api.list_pod_for_all_namespaces(_preload_content=False).data
        times.append(time.perf_counter() - started)
    return times, body


def client_decoding(api: client.CoreV1Api, body: bytes) -> tuple[int, float, float, float]:
    """What a client spends turning the JSON list into Python objects after it arrived: (pods, `json.loads`,
    `json.loads` with the garbage collector paused, the official client's typed models for the whole call)."""
    started = time.perf_counter()
    items = json.loads(body)["items"]
    stock = time.perf_counter() - started
    count = len(items)
    del items
    gc.collect()
    gc.disable()  # the usual bulk-load idiom: no collections while ~1.5 million new objects are built
    try:
        started = time.perf_counter()
        items = json.loads(body)["items"]
        paused = time.perf_counter() - started
    finally:
        gc.enable()
    del items
    gc.collect()
    started = time.perf_counter()
    typed = api.list_pod_for_all_namespaces().items
    typed_seconds = time.perf_counter() - started
    assert len(typed) == count
    return count, stock, paused, typed_seconds


async def kubectl_get(kubeconfig: Path, server: str, runs: int = 3) -> tuple[list[float], list[float], int]:
    """Wall times of `kubectl get pods -A` against the sandbox, and against a server replaying the sandbox's
    recorded answers from memory (kubectl's own share: what no server could take off), and the rows printed."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return [], [], 0

    async def run(config: Path) -> tuple[float, str]:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(kubectl, "--kubeconfig", str(config), "get", "pods", "-A",
                                                       stdout=asyncio.subprocess.PIPE)
        output, _ = await process.communicate()
        assert process.returncode == 0
        return time.perf_counter() - started, output.decode()

    direct = [(await run(kubeconfig))[0] for _ in range(runs)]
    replay = ReplayServer(server)
    replay_config = kubeconfig.with_name("replay-kubeconfig")
    replay_config.write_text(kubeconfig.read_text().replace(server, await replay.start()))
    try:
        _, printed = await run(replay_config)  # records, and warms kubectl's discovery cache for this server
        replay.recording = False
        replayed = [(await run(replay_config))[0] for _ in range(runs)]
        assert replay.misses == 0, "kubectl asked the replay for something it had not recorded"
    finally:
        await replay.stop()
    return direct, replayed, len(printed.splitlines()) - 1


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
        api = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))
        times, body = python_client_list(api)
        count, stock, paused, typed = client_decoding(api, body)
        print(f"full pod list via the Python client as JSON ({count} pods, {len(body) / 2**20:.0f} MB, "
              f"{len(body) // count} bytes a pod), request to last byte, {len(times)} runs:")
        print(f"  median {statistics.median(times):.2f} s, best {min(times):.2f} s, worst {max(times):.2f} s   "
              f"[target < 1 s]")
        print(f"  then in the client, to Python objects: json.loads + {stock:.2f} s, with the garbage collector "
              f"paused + {paused:.2f} s; the client's typed models (list_pod_for_all_namespaces()) {typed:.2f} s "
              f"in all")
        direct, replayed, rows = asyncio.run(kubectl_get(kubeconfig, server))
        if direct:
            print(f"kubectl get pods -A ({rows} rows), median of {len(direct)}: "
                  f"{statistics.median(direct):.2f} s   [target < 3 s]")
            print(f"  the same against a server replaying the sandbox's answers from memory: "
                  f"{statistics.median(replayed):.2f} s (kubectl's own share; the sandbox's is the difference)")
        else:
            print("kubectl get pods -A: skipped, no kubectl on PATH")
        print(f"sandbox RSS with {PODS} pods on {NODES} nodes:           {rss_mb(pid):.0f} MB   [target < 600 MB]")
        rate, p99 = asyncio.run(gets_per_second(server))
        print(f"single-object GET: {rate:.0f} requests/s with 32 concurrent clients, p99 {p99:.1f} ms")
        seconds, notified = asyncio.run(watchers_notified(server))
        print(f"{notified} concurrent watchers all saw one change in {seconds * 1000:.0f} ms   [target < 1 s]")


if __name__ == "__main__":
    main()
