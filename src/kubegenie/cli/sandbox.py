"""`kubegenie sandbox ...`: run the embedded simulated cluster in the foreground."""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import typer

from kubegenie.domain.loopback import check_loopback
from kubegenie.sandbox import faults
from kubegenie.sandbox.runtime import DEFAULT_CONTEXT, RunningSandbox, SandboxConfig
from kubegenie.sandbox.scenarios.build import build_cluster
from kubegenie.sandbox.scenarios.launch import LaunchOptions, plan
from kubegenie.sandbox.scenarios.loader import ScenarioError
from kubegenie.sandbox.telemetry.export import export_history
from kubegenie.sandbox.telemetry.history import History
from kubegenie.sandbox.telemetry.routes import Telemetry
from kubegenie.sandbox.telemetry.timespan import parse_span

app = typer.Typer(help="Run the embedded sandbox cluster that real kubectl and clients can use.",
                  no_args_is_help=True)


def default_kubeconfig() -> Path:
    return Path.home() / ".kube" / "kubegenie-sandbox.yaml"


@app.command("up")
def up(
    port: int = typer.Option(0, "--port", help="Port to listen on; 0 picks a free one."),
    host: str = typer.Option("127.0.0.1", "--host", help="Loopback address to listen on."),
    kubeconfig: Path = typer.Option(None, "--kubeconfig", help="Kubeconfig file to write the context into "
                                    "[default: ~/.kube/kubegenie-sandbox.yaml]."),
    name: str = typer.Option(DEFAULT_CONTEXT, "--name", help="Name of the context (and cluster)."),
    tls: bool = typer.Option(False, "--tls", help="Serve HTTPS with a generated CA written into the kubeconfig."),
    tokens_file: Path = typer.Option(None, "--tokens-file", exists=True, dir_okay=False,
                                     help="Static token file (token,user,uid,\"group1,group2\") mapping bearer "
                                          "tokens to users; needs --tls for kubectl to send them."),
    version: str = typer.Option("1.31.4", "--kubernetes-version", help="Kubernetes version the server reports."),
    faults_file: Path = typer.Option(None, "--faults", dir_okay=False,
                                     help="YAML fault document (latency, forced errors, dropped watches, refused "
                                          "connections); change it at run time through /sandbox/faults."),
    speed: float = typer.Option(1.0, "--speed", help="Simulated seconds per real second (60 runs an hour a minute)."),
    seed: int = typer.Option(0, "--seed", help="Seed of everything random in the simulation, for reproducible runs."),
    simulate: bool = typer.Option(True, "--simulate/--no-simulate",
                                  help="Run controllers, scheduler and kubelets; --no-simulate serves a passive API."),
    scenario: str = typer.Option(None, "--scenario", help="demo, empty or the path of a scenario file."),
    nodes: int = typer.Option(None, "--nodes", help="Generate a cluster of this many nodes (with --pods)."),
    pods: int = typer.Option(None, "--pods", help="Generate a cluster of about this many pods (with --nodes)."),
    clusters: int = typer.Option(1, "--clusters", help="Run this many clusters (prod, staging, dev-N) as contexts."),
    history: str = typer.Option("7d", "--history", help="Usage history available at start-up, e.g. 7d or 36h."),
    ground_truth: Path = typer.Option(None, "--ground-truth", dir_okay=False,
                                      help="Write what the scenario injected (JSON) to this file at start-up."),
) -> None:
    """Serve a sandbox cluster until interrupted, with its context written into a kubeconfig."""
    try:
        check_loopback(host)
        if not 0 <= port <= 65535:
            raise ValueError(f"--port must be between 0 and 65535, not {port}")
        fault_document = faults.load(faults_file) if faults_file is not None else None
        if not speed > 0:
            raise ValueError(f"--speed must be positive, not {speed}")
        launch_options = scenario_options(scenario, nodes, pods, clusters, history, name)
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    config = SandboxConfig(host=host, port=port, kubeconfig=kubeconfig or default_kubeconfig(), name=name,
                           tls=tls, tokens_file=tokens_file, version=version, faults=fault_document,
                           simulate=simulate, speed=speed, seed=seed, scenario=launch_options)
    try:
        asyncio.run(_serve(config, ground_truth))
    except ScenarioError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except OSError as exc:
        typer.echo(f"Error: cannot listen on {host}:{port}: {exc.strerror or exc}. Pick another --port, or 0 for "
                   f"a free one.", err=True)
        raise typer.Exit(1) from exc


async def _serve(config: SandboxConfig, ground_truth: Path | None = None) -> None:
    sandbox = RunningSandbox(config)
    await sandbox.start()
    if ground_truth is not None:
        write_ground_truth(ground_truth, [telemetry.ground_truth() for telemetry in sandbox.telemetry])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    for cluster, server in zip(sandbox.clusters, sandbox.servers, strict=True):
        typer.echo(f"Sandbox cluster {cluster.name!r} ready at {server.url} "
                   f"(kubeconfig: {config.kubeconfig}, context: {cluster.name})", color=False)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()


def scenario_options(scenario: str | None, nodes: int | None, pods: int | None, clusters: int, history: str,
                     name: str) -> LaunchOptions | None:
    """The scenario to load, or None for a bare cluster (no --scenario, --nodes/--pods or --clusters)."""
    if scenario is None and nodes is None and pods is None and clusters == 1:
        return None
    options = LaunchOptions(scenario=scenario, nodes=nodes, pods=pods, clusters=clusters,
                            history=parse_span(history), name=name)
    options.check()
    return options


def write_ground_truth(path: Path, documents: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema": "sandbox.kubegenie.io/ground-truth-file/v1", "clusters": documents},
                               indent=1) + "\n", encoding="utf-8")


@app.command("export-metrics")
def export_metrics(
    output: Path = typer.Option(..., "--output", "-o", dir_okay=False, help="OpenMetrics file to write."),
    scenario: str = typer.Option(None, "--scenario", help="demo (default), empty or the path of a scenario file."),
    nodes: int = typer.Option(None, "--nodes", help="Generate a cluster of this many nodes (with --pods)."),
    pods: int = typer.Option(None, "--pods", help="Generate a cluster of about this many pods (with --nodes)."),
    seed: int = typer.Option(0, "--seed", help="Seed, as given to `sandbox up`."),
    history: str = typer.Option("7d", "--history", help="How much history to write (the last part of it with "
                                "--from), e.g. 7d."),
    step: str = typer.Option("60s", "--step", help="Seconds between samples, e.g. 60s or 5m."),
    from_url: str | None = typer.Option(None, "--from", help="Export the history of the running sandbox cluster "
                                        "at this URL (so it matches what it serves) instead of building one."),
    ground_truth: Path = typer.Option(None, "--ground-truth", dir_okay=False,
                                      help="Also write the cluster's ground truth (JSON) to this file."),
) -> None:
    """Write a cluster's usage history as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`."""
    try:
        step_seconds = parse_span(step)
        if step_seconds <= 0:
            raise ValueError("--step must be positive")
        options = LaunchOptions(scenario=scenario if scenario or nodes is not None else "demo", nodes=nodes,
                                pods=pods, history=parse_span(history))
        options.check()
        if from_url is not None:
            check_loopback(urllib.parse.urlsplit(from_url).hostname or "")
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        if from_url is not None:
            stats = _download_history(from_url, step, history, output, ground_truth)
        else:
            stats = asyncio.run(_export_offline(options, seed, step_seconds, output, ground_truth))
    except ScenarioError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except OSError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(3 if from_url else 1) from exc
    typer.echo(f"Wrote {stats} to {output}", color=False)


async def _export_offline(options: LaunchOptions, seed: int, step: float, output: Path,
                          ground_truth: Path | None) -> str:
    cluster_plan = plan(options, seed)[0]
    built = await build_cluster(cluster_plan.scenario, cluster_plan.name, cluster_plan.seed, options.history)
    history = History(built.cluster, cluster_plan.seed, built.loaded_at, options.history)
    with output.open("w", encoding="utf-8") as handle:
        stats = export_history(history, handle, step)
    if ground_truth is not None:
        telemetry = Telemetry(history, cluster_plan.name, cluster_plan.scenario.name, cluster_plan.scenario.problems)
        write_ground_truth(ground_truth, [telemetry.ground_truth()])
    return f"{stats.series} series, {stats.samples} samples"


def _download_history(url: str, step: str, since: str, output: Path, ground_truth: Path | None) -> str:
    base = url.rstrip("/")
    query = urllib.parse.urlencode({"step": step, "since": since})
    with urllib.request.urlopen(f"{base}/sandbox/metrics-history?{query}", timeout=600) as response:
        data = response.read()
    output.write_bytes(data)
    if ground_truth is not None:
        with urllib.request.urlopen(f"{base}/sandbox/ground-truth", timeout=120) as response:
            write_ground_truth(ground_truth, [json.loads(response.read())])
    lines = data.count(b"\n")
    return f"{lines} lines"
