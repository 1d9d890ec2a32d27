"""`kubegenie worker`: serve agent tasks from the Celery queue (Redis or RabbitMQ) until stopped; optionally
schedule the periodic scans and expose Prometheus metrics. SIGTERM lets running tasks finish first."""

from __future__ import annotations

import logging

import typer

from kubegenie import errors
from kubegenie.assistant import context_factory_for
from kubegenie.cli.common import EXIT_USAGE, console, err_console, fail
from kubegenie.cli.taskstore import load_settings
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.orchestration.runtime import build_registry, serve_worker

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def worker(
    concurrency: int = typer.Option(None, "--concurrency", "-c", min=1, max=1024,
                                    help="Tasks run at once [default: KUBEGENIE_QUEUE__WORKERS]."),
    hostname: str = typer.Option(None, "--hostname", "-n", help="Worker name shown in `kubegenie tasks show`."),
    scans: bool = typer.Option(False, "--scans/--no-scans", help="Also schedule the periodic scans."),
    metrics_port: int = typer.Option(None, "--metrics-port", min=0, max=65535,
                                     help="Serve Prometheus metrics on 127.0.0.1 at this port."),
    log_level: str = typer.Option("WARNING", "--log-level", help=f"One of {', '.join(LOG_LEVELS)}."),
) -> None:
    """Run agent tasks from the Celery queue (set KUBEGENIE_QUEUE__BACKEND=celery)."""
    level = log_level.upper()
    if level not in LOG_LEVELS:
        err_console.print(f"[bold red]Error:[/] --log-level must be one of {', '.join(LOG_LEVELS)}", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    settings = load_settings()
    if settings.queue.backend != "celery":
        err_console.print("[bold red]Error:[/] `kubegenie worker` serves the Celery queue, but the queue backend is "
                          f"'{settings.queue.backend}'.", highlight=False)
        err_console.print("[yellow]What to do:[/] Set KUBEGENIE_QUEUE__BACKEND=celery and "
                          "KUBEGENIE_QUEUE__BROKER_URL; the in-process queue needs no worker.", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def ready(name: str) -> None:
        console.print(f"KubeGenie worker {name} ready: queue '{settings.queue.name}', "
                      f"{concurrency or settings.queue.workers} at once", highlight=False, soft_wrap=True)

    try:
        agents = build_registry(settings)
        # Agents on a worker reach clusters through the same services as in `kubegenie serve`.
        factory = context_factory_for(ClusterRegistry.from_settings(settings), agents)
        code = serve_worker(settings, registry=agents, context_factory=factory, concurrency=concurrency,
                            hostname=hostname, metrics_port=metrics_port, scans=scans, loglevel=level, on_ready=ready)
    except errors.KubeGenieError as exc:
        fail(exc)
    raise typer.Exit(code)
