"""The `kubegenie` command line: one Typer app; each command group lives in its own module."""

from __future__ import annotations

import typer

from kubegenie import __version__
from kubegenie.cli import clusters, sandbox

app = typer.Typer(
    name="kubegenie",
    help="KubeGenie: ask your Kubernetes clusters questions in plain English.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(clusters.app, name="clusters")


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
