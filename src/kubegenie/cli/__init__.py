"""The `kubegenie` command line: one Typer app; each command group lives in its own module."""

from __future__ import annotations

import typer

from kubegenie import __version__
from kubegenie.cli import agents, ask, clusters, demo, sandbox, serve, tasks, worker

app = typer.Typer(
    name="kubegenie",
    help="KubeGenie: ask your Kubernetes clusters questions in plain English.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("ask")(ask.ask)
app.command("chat")(ask.chat)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(clusters.app, name="clusters")
app.add_typer(agents.app, name="agents")
app.add_typer(tasks.app, name="tasks")
app.command("worker")(worker.worker)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"kubegenie {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
    ),
) -> None:
    """KubeGenie: ask your Kubernetes clusters questions in plain English."""


def main() -> None:
    """Console-script entry point."""
    app()
