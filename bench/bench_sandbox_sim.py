"""Figures of the simulated sandbox: start-up time and RSS for 10,000 pods on 500 nodes with 7 days of history
(until the API serves every pod Running, and until the simulation's first sync is done), 50 clusters of 200
pods in one process, and the CPU the running demo scenario uses (percent of one core over a minute). Each
runs in its own process, so memory figures are not shared."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.common import HERE, machine


def run(*args: str) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-m", "bench.sim_child", *args], cwd=HERE.parent, capture_output=True,
                            text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"bench.sim_child {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    print(f"machine: {machine()}")
    large = run("--nodes", "500", "--pods", "10000")
    print(f"10,000 pods on 500 nodes, 7 days of history: API serving {large['running']:.0f}/{large['pods']:.0f} "
          f"pods Running after {large['serving_seconds']:.1f} s ({large['serving_rss_mb']:.0f} MB RSS); "
          f"simulation's first sync done after {large['synced_seconds']:.1f} s ({large['synced_rss_mb']:.0f} MB RSS) "
          f"[targets: < 20 s, < 1.5 GB]; /metrics scrape {large['scrape_seconds']:.2f} s "
          f"({large['scrape_bytes'] / 1e6:.1f} MB)")
    fleet = run("--nodes", "10", "--pods", "200", "--clusters", "50")
    print(f"50 clusters of ~200 pods in one process: {fleet['pods']:.0f} pods, API serving after "
          f"{fleet['serving_seconds']:.1f} s, first sync done after {fleet['synced_seconds']:.1f} s, "
          f"{fleet['synced_rss_mb']:.0f} MB RSS [target: < 30 s]")
    demo = run("--scenario", "demo", "--cpu-seconds", "60", "--warmup", "30")
    print(f"demo scenario ({demo['pods']:.0f} pods) running: {demo['cpu_percent']:.1f}% of one core over 60 s "
          f"after a 30 s warm-up [target: < 5%]")


if __name__ == "__main__":
    main()
