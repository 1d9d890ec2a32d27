"""Figures of the REST API, each against a `kubegenie serve` process on loopback:

- server-side latency (the Answer's took_ms) p50/p95 per intent on a sandbox of 500 nodes and 10,000 pods,
  beside the client's round trip and `kubectl get pods` on the same sandbox as a baseline;
- 50 concurrent chat clients for 60 s: requests, errors and p95;
- `kubegenie demo` start-up: until the ready line, and until the web UI and a populated cluster answer.

    .venv/bin/python -m bench.bench_api [--seconds 60] [--clients 50] [--repeat 30] [--pods 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp
import httpx
from bench.common import loaded_sandbox, machine, percentile

QUESTIONS = {
    "list_resources": "list pods in team-03",
    "list_resources (failing, all namespaces)": "which pods are failing?",
    "count_resources": "how many pods run in team-05?",
    "get_resource": "get pod app-00-00003 in team-03",
    "describe_resource": "describe pod app-00-00003 in team-03",
    "top": "which pods use the most memory in team-07?",
    "node_status": "status of node node-0042",
    "cluster_overview": "cluster overview",
    "list_events": "warning events in team-01",
    "list_resources (namespaces)": "list namespaces",
    "api_resources": "what API resources does the cluster serve?",
    "help": "help",
}
MIXED = ["list pods in team-03", "which pods are failing in team-04?", "how many pods run in team-05?",
         "describe pod app-00-00003 in team-03", "top pods by memory in team-07", "status of node node-0042"]


def kubegenie(*args: str, data_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "KUBEGENIE_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "kubegenie", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)


def wait_for(process: subprocess.Popen[str], marker: str, timeout: float = 180) -> tuple[str, float]:
    """The line containing `marker`, and when it was printed (time.monotonic)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"process ended before printing {marker!r}")
        if marker in line:
            return line, time.monotonic()
    raise RuntimeError(f"no {marker!r} within {timeout} s")


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(2)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def post(session: aiohttp.ClientSession, question: str) -> tuple[int, dict[str, object], float]:
    started = time.perf_counter()
    async with session.post("/api/v1/chat", json={"message": question}) as response:
        body = await response.json(content_type=None)
        return response.status, body, (time.perf_counter() - started) * 1000


async def per_intent(base: str, repeat: int) -> None:
    print(f"\nServer-side latency per intent ({repeat} sequential requests each, new conversation each time):")
    print(f"  {'intent':42} {'p50 ms':>8} {'p95 ms':>8} {'round trip p95':>15}  answered as")
    # aiohttp as the client: its round trip adds ~1 ms here, httpx's AsyncClient adds ~45 ms per request.
    async with aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=60)) as session:
        for label, question in QUESTIONS.items():
            took, trips, intents = [], [], set()
            for _ in range(repeat):
                _, body, trip = await post(session, question)
                trips.append(trip)
                intents.add(str(body.get("intent") or body.get("code")))
                took.append(float(str(body.get("took_ms", "nan"))))
            print(f"  {label:42} {percentile(took, 50):8.1f} {percentile(took, 95):8.1f} "
                  f"{percentile(trips, 95):15.1f}  {', '.join(sorted(intents))}")


async def load(base: str, clients: int, seconds: float) -> None:
    latencies: list[float] = []
    took: list[float] = []
    errors: defaultdict[str, int] = defaultdict(int)
    stop_at = time.monotonic() + seconds

    async def client_loop(index: int, session: aiohttp.ClientSession) -> None:
        turn = index
        while time.monotonic() < stop_at:
            question = MIXED[turn % len(MIXED)]
            turn += 1
            try:
                status, body, trip = await post(session, question)
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors[type(exc).__name__] += 1
                continue
            latencies.append(trip)
            if status != 200:
                errors[f"HTTP {status}"] += 1
            else:
                took.append(float(str(body["took_ms"])))

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(*(client_loop(index, session) for index in range(clients)))
    total = len(latencies) + sum(v for k, v in errors.items() if not k.startswith("HTTP"))
    print(f"\n{clients} concurrent chat clients for {seconds:g} s (mixed inventory questions):")
    print(f"  requests {total}, {total / seconds:.1f}/s; errors {sum(errors.values())}"
          + (f" ({dict(errors)})" if errors else ""))
    print(f"  round trip p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms, "
          f"max {max(latencies, default=float('nan')):.0f} ms")
    print(f"  server-side (took_ms) p50 {percentile(took, 50):.1f} ms, p95 {percentile(took, 95):.1f} ms")


def kubectl_baseline(kubeconfig: Path, repeat: int) -> None:
    binary = shutil.which("kubectl")
    if binary is None:
        print("\nkubectl baseline skipped: kubectl is not installed")
        return
    with tempfile.TemporaryDirectory() as cache:
        times = []
        for _ in range(min(repeat, 10)):
            started = time.perf_counter()
            subprocess.run([binary, "--kubeconfig", str(kubeconfig), "--cache-dir", cache, "get", "pods", "-n",
                            "team-03"], check=True, capture_output=True)
            times.append((time.perf_counter() - started) * 1000)
    print(f"\nBaseline: `kubectl get pods -n team-03` on the same sandbox: p50 {percentile(times, 50):.0f} ms, "
          f"p95 {percentile(times, 95):.0f} ms (a new process each time)")


def demo_startup() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        process = kubegenie("demo", "--port", "0", data_dir=Path(tmp))
        try:
            _, ready_at = wait_for(process, "is ready in")
            line, _ = wait_for(process, "Web UI:")
            url = line.split("Web UI:", 1)[1].strip()
            base = url.removesuffix("/ui/")
            ui = httpx.get(url, timeout=30)
            clusters = httpx.get(f"{base}/api/v1/clusters", timeout=30).json()
            answering_at = time.monotonic()
            answer = httpx.post(f"{base}/api/v1/chat", json={"message": "which pods are failing?"}, timeout=30)
        finally:
            stop(process)
    print("\n`kubegenie demo` start-up (after the install; target: web UI open on a populated cluster in 30 s):")
    print(f"  ready line printed after {ready_at - started:.1f} s; web UI {ui.status_code} and clusters answered "
          f"after {answering_at - started:.1f} s")
    for cluster in clusters:
        print(f"  cluster {cluster['name']}: {cluster['nodes']} nodes, {cluster['pods']} pods, "
              f"{cluster['namespaces']} namespaces ({cluster['status']})")
    print(f"  'which pods are failing?' answered in {answer.json().get('took_ms')} ms (server side)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--pods", type=int, default=10_000)
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    demo_startup()
    with loaded_sandbox(args.nodes, args.pods) as (kubeconfig, _), tempfile.TemporaryDirectory() as tmp:
        print(f"\nSandbox: {args.nodes} nodes, {args.pods} pods in 20 namespaces; `kubegenie serve --no-ui` on "
              f"127.0.0.1 with the in-process queue")
        server = kubegenie("serve", "--port", "0", "--no-ui", "--kubeconfig", str(kubeconfig), data_dir=Path(tmp))
        try:
            line, _ = wait_for(server, "is serving on")
            base = line.split("is serving on", 1)[1].strip()
            httpx.get(f"{base}/api/v1/clusters", timeout=120)  # the cache is filled before measuring
            asyncio.run(per_intent(base, args.repeat))
            kubectl_baseline(kubeconfig, args.repeat)
            asyncio.run(load(base, args.clients, args.seconds))
        finally:
            stop(server)


if __name__ == "__main__":
    main()
