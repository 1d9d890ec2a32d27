"""`kubegenie clusters list|show`: the clusters of the kubeconfig contexts, their reachability and sync state."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from kubegenie.cli.common import EXIT_CLUSTER, console, print_json, settings_with, with_assistant
from kubegenie.domain.clusters import ClusterDetail, ClusterSummary

app = typer.Typer(help="The clusters KubeGenie can reach (one per kubeconfig context).", no_args_is_help=True)

KUBECONFIG = typer.Option(None, "--kubeconfig", help="Kubeconfig file(s) to read instead of KUBECONFIG.")


def _number(value: int | None) -> str:
    return "-" if value is None else str(value)


@app.command("list")
def list_clusters(kubeconfig: list[Path] = KUBECONFIG,
                  as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every context with its server, version, size, sync status and latency."""
    summaries: list[ClusterSummary] = with_assistant(settings_with(kubeconfig), lambda a: a.list_clusters())
    if as_json:
        print_json(summaries)
        return
    if not summaries:
        console.print("No clusters configured. Point KUBECONFIG at a kubeconfig file, or run `kubegenie demo`.")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("NAME", "SERVER"):
        table.add_column(column, no_wrap=True)
    for column in ("VERSION", "NODES", "PODS", "STATUS", "LATENCY"):
        table.add_column(column)
    for item in summaries:
        latency = "-" if item.latency_ms is None else f"{item.latency_ms:.0f}ms"
        name = f"{item.name} (default)" if item.default else item.name
        status = item.status.split(":", 1)[0] if item.error else item.status
        table.add_row(name, item.server, item.version or "-", _number(item.nodes), _number(item.pods), status,
                      latency, style="red" if item.error else None)
    console.print(table)
    for item in summaries:
        if item.error:
            console.print(f"[red]{item.name}:[/] {item.error}", highlight=False)
            if item.remediation:
                console.print(f"  [yellow]What to do:[/] {item.remediation}", highlight=False)


@app.command("show")
def show_cluster(name: str = typer.Argument(..., help="Context name."), kubeconfig: list[Path] = KUBECONFIG,
                 as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """One cluster in detail: nodes, namespaces, per-kind sync state and what is not permitted."""
    detail: ClusterDetail = with_assistant(settings_with(kubeconfig), lambda a: a.show_cluster(name))
    if as_json:
        print_json(detail)
        if detail.error:
            raise typer.Exit(EXIT_CLUSTER)
        return
    console.print(f"[bold]{detail.name}[/]{' (default)' if detail.default else ''}  {detail.server}")
    console.print(f"Source: {detail.source}   Version: {detail.version or '-'}   Status: {detail.status}   "
                  f"Latency: {'-' if detail.latency_ms is None else f'{detail.latency_ms:.0f}ms'}", highlight=False)
    if detail.error:
        console.print(f"[red]{detail.error}[/]", highlight=False)
        if detail.remediation:
            console.print(f"[yellow]What to do:[/] {detail.remediation}", highlight=False)
        raise typer.Exit(EXIT_CLUSTER)
    if detail.node_list:
        nodes = Table("NODE", "READY", "ROLES", "KUBELET", "SCHEDULABLE", box=None, pad_edge=False)
        for node in detail.node_list:
            nodes.add_row(node.name, "yes" if node.ready else "no", ",".join(node.roles) or "<none>",
                          node.kubelet_version or "-", "no" if node.unschedulable else "yes")
        console.print(nodes)
    console.print(f"Namespaces ({len(detail.namespace_names)}): {', '.join(detail.namespace_names) or '-'}",
                  highlight=False)
    if detail.not_permitted:
        console.print(f"[yellow]Not permitted to list:[/] {', '.join(detail.not_permitted)}", highlight=False)
