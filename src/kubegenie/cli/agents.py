"""`kubegenie agents list`: every agent (built-in and installed), the intents it answers, its status and
live figures from the task store, and the intents no installed agent answers."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from kubegenie import errors
from kubegenie.agents.registry import AgentInfo, AgentStatus
from kubegenie.cli.common import console, fail, print_json
from kubegenie.cli.taskstore import duration, load_settings, opened_store
from kubegenie.orchestration.orchestrator import agent_overview
from kubegenie.orchestration.runtime import build_registry

app = typer.Typer(help="The agents that answer questions.", no_args_is_help=True)
STATUS_STYLE = {AgentStatus.IDLE: "green", AgentStatus.BUSY: "cyan", AgentStatus.UNAVAILABLE: "red"}


@app.command("list")
def list_agents(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Agents with their intents, status, active tasks, completed and failed counts and latency."""
    settings = load_settings()
    try:
        registry = build_registry(settings)
    except errors.KubeGenieError as exc:
        fail(exc)
    with opened_store(settings) as store:
        infos = agent_overview(registry, store)
    unserved = [intent.value for intent in registry.unserved()]
    if as_json:
        print_json({"agents": [_as_dict(info) for info in infos], "unserved_intents": unserved})
        return
    if not infos:
        console.print("No agents are installed.")
    else:
        table = Table(box=None, pad_edge=False)
        for column in ("NAME", "STATUS", "INTENTS", "QUEUED", "ACTIVE", "COMPLETED", "FAILED", "P50", "P95",
                       "DESCRIPTION"):
            table.add_column(column, no_wrap=column not in ("INTENTS", "DESCRIPTION"))
        for info in infos:
            stats = info.stats
            table.add_row(
                info.name, f"[{STATUS_STYLE[info.status]}]{info.status.value}[/]",
                ", ".join(intent.value for intent in info.intents) or "-", str(stats.queued), str(stats.active),
                str(stats.completed), str(stats.failed), _ms(stats.latency_p50_ms), _ms(stats.latency_p95_ms),
                info.problem or info.description)
        console.print(table)
    if unserved:
        console.print(f"Intents no installed agent answers ({len(unserved)}): {', '.join(unserved)}",
                      highlight=False)


def _ms(value: float | None) -> str:
    return duration(None if value is None else value / 1000)


def _as_dict(info: AgentInfo) -> dict[str, Any]:
    return {
        "name": info.name, "description": info.description, "intents": [intent.value for intent in info.intents],
        "origin": info.origin, "status": info.status.value, "queued": info.stats.queued,
        "active": info.stats.active, "completed": info.stats.completed, "failed": info.stats.failed,
        "latency_p50_ms": info.stats.latency_p50_ms, "latency_p95_ms": info.stats.latency_p95_ms,
        "problem": info.problem or None,
    }
