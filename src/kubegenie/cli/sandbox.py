"""`kubegenie sandbox ...`: run the embedded simulated cluster in the foreground."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import typer

from kubegenie.sandbox import faults
from kubegenie.sandbox.runtime import DEFAULT_CONTEXT, RunningSandbox, SandboxConfig, check_loopback

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
) -> None:
    """Serve a sandbox cluster until interrupted, with its context written into a kubeconfig."""
    try:
        check_loopback(host)
        if not 0 <= port <= 65535:
            raise ValueError(f"--port must be between 0 and 65535, not {port}")
        fault_document = faults.load(faults_file) if faults_file is not None else None
        if not speed > 0:
            raise ValueError(f"--speed must be positive, not {speed}")
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    config = SandboxConfig(host=host, port=port, kubeconfig=kubeconfig or default_kubeconfig(), name=name,
                           tls=tls, tokens_file=tokens_file, version=version, faults=fault_document,
                           simulate=simulate, speed=speed, seed=seed)
    try:
        asyncio.run(_serve(config))
    except OSError as exc:
        typer.echo(f"Error: cannot listen on {host}:{port}: {exc.strerror or exc}. Pick another --port, or 0 for "
                   f"a free one.", err=True)
        raise typer.Exit(1) from exc


async def _serve(config: SandboxConfig) -> None:
    sandbox = RunningSandbox(config)
    await sandbox.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    typer.echo(f"Sandbox cluster {config.name!r} ready at {sandbox.url} "
               f"(kubeconfig: {config.kubeconfig}, context: {config.name})", color=False)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()
