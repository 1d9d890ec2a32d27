"""`kubegenie demo`: the embedded default. One process on 127.0.0.1 runs a sandbox cluster with the demo
scenario, writes its kubeconfig under the data directory, and serves the API and the web UI against it; the
URLs and a few questions to try are printed once the cluster's objects are cached and the UI answers.
"""

from __future__ import annotations

import asyncio
import socket
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kubegenie import errors
from kubegenie.assistant import Assistant
from kubegenie.cli import web
from kubegenie.cli.common import EXIT_UNANSWERED, EXIT_USAGE, console, err_console, fail
from kubegenie.cli.serve import DEFAULT_PORT
from kubegenie.domain.examples import TOUR
from kubegenie.settings import Settings, get_settings

if TYPE_CHECKING:
    from kubegenie.sandbox.runtime import SandboxThread

CONTEXT = "kubegenie-demo"
"""The context of the demo cluster when no demo scenario is installed (a scenario names its clusters prod, ...)."""
QUESTIONS = 5


def demo_kubeconfig(settings: Settings) -> Path:
    return settings.data_dir / "demo" / "kubeconfig"


def demo(port: int = typer.Option(DEFAULT_PORT, "--port", help="Port of the API and web UI; 0 picks a free one."),
         clusters: int = typer.Option(2, "--clusters", min=1, max=8,
                                      help="Clusters to simulate: prod with the demo scenario, then staging, dev-N."),
         seed: int = typer.Option(0, "--seed", help="Seed of the simulation, for a reproducible cluster."),
         speed: float = typer.Option(1.0, "--speed", help="Simulated seconds per real second.")) -> None:
    """Try KubeGenie at once: a simulated cluster, the API and the web UI on 127.0.0.1; no cluster, LLM or network."""
    started = time.perf_counter()
    if not speed > 0:
        err_console.print(f"[bold red]Error:[/] --speed must be positive, not {speed}", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    try:
        if not 0 <= port <= 65535:
            raise ValueError(f"--port must be between 0 and 65535, not {port}")
        sock = web.bind("127.0.0.1", port)
    except ValueError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc
    except OSError as exc:
        err_console.print(f"[bold red]Error:[/] cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}.\n"
                          f"[yellow]What to do:[/] stop what uses it, or run `kubegenie demo --port 0` for a free "
                          f"port.", highlight=False)
        raise typer.Exit(EXIT_UNANSWERED) from exc
    base = get_settings()
    kubeconfig = demo_kubeconfig(base)
    kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    kubeconfig.unlink(missing_ok=True)  # a demo that was killed leaves its context behind
    with console.status("Starting the demo clusters...", spinner="dots"):
        sandbox = _start_sandbox(kubeconfig, clusters, seed, speed)
    settings = base.model_copy(update={"kube": base.kube.model_copy(update={"kubeconfig": [kubeconfig]})})
    try:
        asyncio.run(_serve(settings, sock, kubeconfig, started))
    except errors.KubeGenieError as exc:
        fail(exc)
    finally:
        sock.close()
        sandbox.stop()


def _start_sandbox(kubeconfig: Path, clusters: int, seed: int, speed: float) -> SandboxThread:
    # Only the demo starts a sandbox, so only it pays for importing one.
    from kubegenie.sandbox.runtime import SandboxConfig, SandboxThread
    from kubegenie.sandbox.scenarios.launch import LaunchOptions

    config = SandboxConfig(host="127.0.0.1", port=0, kubeconfig=kubeconfig, name=CONTEXT, simulate=True, speed=speed,
                           seed=seed)
    if resources.files("kubegenie.sandbox.scenarios").joinpath("demo.yaml").is_file():
        config.scenario = LaunchOptions(scenario="demo", clusters=clusters)
    return SandboxThread(config).start()


async def _serve(settings: Settings, sock: socket.socket, kubeconfig: Path, started: float) -> None:
    assistant = Assistant(settings)

    async def ready(address: web.Address) -> None:
        # Reading the cluster once fills the cache, so the first question in the UI is answered at once.
        with console.status("Reading the demo clusters...", spinner="dots"):
            summaries = await assistant.list_clusters()
        console.print(f"\n[bold green]KubeGenie demo is ready[/] in {time.perf_counter() - started:.1f} s.\n",
                      highlight=False)
        for cluster in summaries:
            console.print(f"  Cluster {cluster.name}: {cluster.nodes or 0} nodes, {cluster.pods or 0} pods in "
                          f"{cluster.namespaces or 0} namespaces ({cluster.status})", highlight=False)
        console.print()
        console.print(f"  Web UI:   [bold]{address.url}/ui/[/]", highlight=False)
        console.print(f"  API docs: {address.url}/docs", highlight=False)
        console.print(f"  kubectl:  kubectl --kubeconfig {kubeconfig} get pods -A\n", highlight=False)
        console.print("Questions to try (in the web UI, or `kubegenie ask` with "
                      f"--kubeconfig {kubeconfig}):", highlight=False)
        for question in TOUR[:QUESTIONS]:
            console.print(f"  • {question}", highlight=False)
        console.print("\nPress Ctrl+C to stop; the demo cluster goes away with it.")

    try:
        await assistant.runtime()
        await web.serve(assistant, sock, on_ready=ready)
    finally:
        await assistant.close()
