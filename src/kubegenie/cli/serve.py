"""`kubegenie serve`: the REST API and the web UI on one loopback port, answering from the kubeconfig's clusters."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from kubegenie import errors
from kubegenie.assistant import Assistant
from kubegenie.cli import web
from kubegenie.cli.common import EXIT_UNANSWERED, EXIT_USAGE, console, err_console, fail, settings_with
from kubegenie.domain.loopback import check_loopback

KUBECONFIG = typer.Option(None, "--kubeconfig", help="Kubeconfig file(s) to read instead of KUBECONFIG.")
DEFAULT_PORT = 8000


def serve(host: str = typer.Option("127.0.0.1", "--host", help="Loopback address to listen on."),
          port: int = typer.Option(DEFAULT_PORT, "--port", help="Port to listen on; 0 picks a free one."),
          kubeconfig: list[Path] = KUBECONFIG,
          ui: bool = typer.Option(True, "--ui/--no-ui", help="Serve the web UI at /ui as well.")) -> None:
    """Serve the REST API (/api/v1, docs at /docs) and the web UI (/ui) until interrupted."""
    try:
        check_loopback(host)
        if not 0 <= port <= 65535:
            raise ValueError(f"--port must be between 0 and 65535, not {port}")
        sock = web.bind(host, port)
    except ValueError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc
    except OSError as exc:
        err_console.print(f"[bold red]Error:[/] cannot listen on {host}:{port}: {exc.strerror or exc}.\n"
                          f"[yellow]What to do:[/] pick another --port, or --port 0 for a free one.", highlight=False)
        raise typer.Exit(EXIT_UNANSWERED) from exc
    settings = settings_with(kubeconfig)

    async def run() -> None:
        assistant = Assistant(settings)

        async def ready(address: web.Address) -> None:
            names = assistant.clusters.names()
            console.print(f"[bold]KubeGenie[/] is serving on {address.url}", highlight=False)
            if ui:
                console.print(f"  Web UI:   {address.url}/ui/", highlight=False)
            console.print(f"  API docs: {address.url}/docs", highlight=False)
            console.print(f"  Clusters: {', '.join(names) or 'none (set KUBECONFIG or pass --kubeconfig)'}",
                          highlight=False)
            console.print("Press Ctrl+C to stop.")

        try:
            # Opened before serving, so a store that cannot be opened is a message, not a failed server start.
            await assistant.runtime()
            await web.serve(assistant, sock, ui=ui, on_ready=ready)
        finally:
            await assistant.close()

    try:
        asyncio.run(run())
    except errors.KubeGenieError as exc:
        fail(exc)
    finally:
        sock.close()
