"""Turning an Answer (and the side panel's figures) into what the web page shows: chat markdown, table frames
filtered by namespace, and Plotly figures built from the answer's figure JSON. Pure functions; no gradio here,
so the rendering is tested without a browser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from kubegenie import errors
from kubegenie.agents.registry import AgentInfo
from kubegenie.domain.answer import Answer, Table
from kubegenie.domain.clusters import ClusterDetail, ClusterSummary
from kubegenie.orchestration.task import Task

log = logging.getLogger(__name__)
CHAT_ROWS = 12
"""Rows of a table shown inside a chat message; the full table is shown below the chat."""


@dataclass(frozen=True)
class Frame:
    """One table as the page's data grid takes it."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""

    def value(self) -> dict[str, Any]:
        return {"headers": self.headers, "data": self.rows}


def cell(value: object) -> str:
    return "" if value is None else str(value)


def _md_cell(value: object) -> str:
    # A cell must stay on one line and must not close the table early.
    return cell(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(table: Table, max_rows: int = CHAT_ROWS) -> str:
    if not table.columns:
        return ""
    lines = ["| " + " | ".join(_md_cell(c) for c in table.columns) + " |",
             "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in table.rows[:max_rows]]
    if len(table.rows) > max_rows:
        lines.append(f"\n_… {len(table.rows) - max_rows} more rows in the table below._")
    return "\n".join(lines)


def answer_markdown(answer: Answer) -> str:
    """The chat message: the answer's prose, its tables (first rows), findings, proposed actions, suggestions."""
    parts = [answer.text]
    for table in answer.tables:
        if table.rows:
            parts.append(f"**{table.title}**\n\n{markdown_table(table)}")
    if answer.findings:
        lines = []
        for finding in sorted(answer.findings, key=lambda f: -f.severity.rank):
            where = f" `{finding.resource}`" if finding.resource else ""
            fix = f" — _Fix:_ {finding.remediation}" if finding.remediation else ""
            lines.append(f"- **{finding.severity.value.upper()}**{where} {finding.message}{fix}")
        parts.append("\n".join(lines))
    for action in answer.actions:
        diff = f"\n\n```diff\n{action.dry_run_diff}\n```" if action.dry_run_diff else ""
        parts.append(f"**Proposed:** {action.description}{diff}")
    if answer.suggestions:
        parts.append("_Try:_ " + " · ".join(f"`{s}`" for s in answer.suggestions))
    meta = [part for part in (answer.agent, answer.cluster) if part]
    if answer.intent is not None:
        meta.append(f"{answer.took_ms:.0f} ms")
        parts.append(f"<sub>{' · '.join(meta)}</sub>")
    return "\n\n".join(parts)


def error_markdown(error: errors.KubeGenieError) -> str:
    return f"**{error.message}**\n\n_What to do:_ {error.remediation}"


def frames(answer: Answer | None, namespace: str | None = None) -> list[Frame]:
    """The answer's tables; with a namespace, only rows of that namespace (tables with a Namespace column)."""
    if answer is None:
        return []
    found = []
    for table in answer.tables:
        rows = [[cell(v) for v in row] for row in table.rows]
        note = ""
        if namespace and "Namespace" in table.columns:
            at = table.columns.index("Namespace")
            rows = [row for row in rows if row[at] == namespace]
            note = f"{len(rows)} of {len(table.rows)} rows in namespace {namespace}"
        found.append(Frame(table.title, list(table.columns), rows, note))
    return found


def figures(answer: Answer | None) -> list[go.Figure]:
    """Plotly figures from the answer's figure JSON; a chart Plotly cannot read is left out, not fatal."""
    if answer is None:
        return []
    built = []
    for chart in answer.charts:
        try:
            figure = go.Figure(chart)
        except (ValueError, TypeError) as exc:
            log.warning("chart left out: %s", exc)
            continue
        figure.update_layout(margin={"l": 40, "r": 10, "t": 40, "b": 40}, height=320)
        built.append(figure)
    return built


def agents_frame(agents: list[AgentInfo]) -> Frame:
    rows = [[a.name, a.status.value, str(a.stats.queued), str(a.stats.active), str(a.stats.completed),
             str(a.stats.failed)] for a in agents]
    return Frame("Agents", ["Agent", "Status", "Queued", "Running", "Done", "Failed"], rows)


def tasks_frame(tasks: list[Task]) -> Frame:
    rows = [[t.id[:8], t.state.value, t.intent, t.agent or "(fan-out)", t.cluster or "default"] for t in tasks]
    return Frame("Active tasks", ["Task", "State", "Intent", "Agent", "Cluster"], rows)


def queue_markdown(agents: list[AgentInfo], tasks: list[Task]) -> str:
    queued = sum(a.stats.queued for a in agents)
    running = sum(a.stats.active for a in agents)
    busy = [a.name for a in agents if a.stats.active]
    return (f"**Queue:** {queued} waiting · {running} running"
            + (f" ({', '.join(busy)})" if busy else "") + f" · {len(tasks)} active task{'s' * (len(tasks) != 1)}")


def health_markdown(cluster: ClusterSummary | ClusterDetail | None) -> str:
    """The cluster health summary of the side panel."""
    if cluster is None:
        return "**No cluster configured.** Point KUBECONFIG at a kubeconfig file, or run `kubegenie demo`."
    if cluster.error:
        return (f"### {cluster.name}\n**Unreachable:** {cluster.error}\n\n"
                f"_What to do:_ {cluster.remediation or 'check the kubeconfig server address'}")
    lines = [f"### {cluster.name}", f"Status: **{cluster.status}**"
             + (f" · Kubernetes {cluster.version}" if cluster.version else "")]
    sizes = [f"{value} {label}" for value, label in ((cluster.nodes, "nodes"), (cluster.pods, "pods"),
                                                       (cluster.namespaces, "namespaces")) if value is not None]
    if sizes:
        lines.append(" · ".join(sizes))
    if isinstance(cluster, ClusterDetail) and cluster.node_list:
        not_ready = [node.name for node in cluster.node_list if not node.ready]
        cordoned = [node.name for node in cluster.node_list if node.unschedulable]
        lines.append(f"Nodes ready: {len(cluster.node_list) - len(not_ready)}/{len(cluster.node_list)}"
                     + (f" (not ready: {', '.join(not_ready[:5])})" if not_ready else ""))
        if cordoned:
            lines.append(f"Cordoned: {', '.join(cordoned[:5])}")
    if cluster.latency_ms is not None:
        lines.append(f"API latency {cluster.latency_ms:.1f} ms")
    return "\n\n".join(lines)
