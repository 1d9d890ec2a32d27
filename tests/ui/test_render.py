"""What the web page shows for an Answer: chat markdown, filtered tables, Plotly figures, the side panel."""

from __future__ import annotations

from datetime import UTC, datetime

from kubegenie import errors
from kubegenie.agents.registry import AgentInfo, AgentStats, AgentStatus
from kubegenie.domain.answer import Action, Answer, Finding, ResourceRef, Severity, Table
from kubegenie.domain.clusters import ClusterDetail, ClusterSummary, NodeSummary
from kubegenie.domain.intents import Intent
from kubegenie.orchestration.task import Priority, Task, TaskState
from kubegenie.ui import render

PODS = Table(title="pods in all namespaces", columns=["Namespace", "Name", "Status"],
             rows=[["shop", "checkout-1", "CrashLoopBackOff"], ["payments", "api-1", "Running"],
                   ["shop", "web|1", None]])


def answer(**fields: object) -> Answer:
    base: dict[str, object] = {"conversation_id": "c1", "intent": "list_resources", "agent": "inventory",
                               "cluster": "prod", "text": "**3 pods** in all namespaces.", "took_ms": 12.3}
    return Answer.model_validate(base | fields)


def test_chat_markdown_has_prose_table_and_footer() -> None:
    text = render.answer_markdown(answer(tables=[PODS]))
    assert text.startswith("**3 pods** in all namespaces.")
    assert "| Namespace | Name | Status |\n|---|---|---|\n| shop | checkout-1 | CrashLoopBackOff |" in text
    assert "| shop | web\\|1 |  |" in text  # a pipe in a cell does not split it; None is empty
    assert text.endswith("<sub>inventory · prod · 12 ms</sub>")


def test_long_tables_are_cut_in_the_chat() -> None:
    table = Table(title="many", columns=["Name"], rows=[[f"pod-{i}"] for i in range(30)])
    text = render.markdown_table(table, max_rows=5)
    assert "| pod-4 |" in text and "| pod-5 |" not in text
    assert text.endswith("_… 25 more rows in the table below._")


def test_findings_by_severity_actions_and_suggestions() -> None:
    text = render.answer_markdown(answer(
        findings=[Finding(id="low", severity=Severity.LOW, message="old image tag"),
                  Finding(id="crash", severity=Severity.CRITICAL, message="crash-looping",
                          resource=ResourceRef(kind="Pod", name="checkout-1", namespace="shop"),
                          remediation="fix the config")],
        actions=[Action(id="a1", description="scale web to 3", dry_run_diff="-replicas: 1\n+replicas: 3")],
        suggestions=["show its logs", "why?"]))
    critical, low = text.index("**CRITICAL** `Pod/shop/checkout-1` crash-looping — _Fix:_ fix the config"), \
        text.index("**LOW** old image tag")
    assert critical < low
    assert "**Proposed:** scale web to 3\n\n```diff\n-replicas: 1\n+replicas: 3\n```" in text
    assert "_Try:_ `show its logs` · `why?`" in text


def test_a_clarification_has_no_footer() -> None:
    text = render.answer_markdown(answer(intent=None, agent=None, text="Which namespace?", suggestions=["shop"]))
    assert text == "Which namespace?\n\n_Try:_ `shop`"


def test_error_markdown_shows_message_and_remediation() -> None:
    text = render.error_markdown(errors.ClusterUnreachable("prod does not answer"))
    assert text.startswith("**prod does not answer**\n\n_What to do:_ Check that the cluster is running")


def test_frames_filter_rows_by_namespace() -> None:
    frames = render.frames(answer(tables=[PODS, Table(title="nodes", columns=["Name"], rows=[["n1"]])]), "shop")
    assert frames[0].rows == [["shop", "checkout-1", "CrashLoopBackOff"], ["shop", "web|1", ""]]
    assert frames[0].note == "2 of 3 rows in namespace shop"
    assert frames[1].rows == [["n1"]] and frames[1].note == ""
    assert frames[0].value() == {"headers": ["Namespace", "Name", "Status"], "data": frames[0].rows}
    assert render.frames(None) == []


def test_figures_from_plotly_json_and_bad_charts_left_out() -> None:
    chart = {"data": [{"type": "bar", "x": ["shop", "payments"], "y": [2, 1]}], "layout": {"title": {"text": "Pods"}}}
    figures = render.figures(answer(charts=[chart, {"data": [{"type": "no-such-trace"}]}]))
    assert len(figures) == 1
    assert list(figures[0].data[0].x) == ["shop", "payments"] and figures[0].layout.title.text == "Pods"


def test_side_panel_agents_tasks_and_queue() -> None:
    agents = [AgentInfo(name="inventory", description="", intents=(Intent.LIST_RESOURCES,), origin="built-in",
                        status=AgentStatus.BUSY, stats=AgentStats(queued=2, active=1, completed=5, failed=1)),
              AgentInfo(name="help", description="", intents=(Intent.HELP,), origin="built-in",
                        status=AgentStatus.IDLE, stats=AgentStats())]
    assert render.agents_frame(agents).rows[0] == ["inventory", "busy", "2", "1", "5", "1"]
    task = Task(id="0123456789abcdef", intent="top", agent="inventory", state=TaskState.RUNNING,
                priority=Priority.INTERACTIVE, backend="inprocess", request={}, timeout_seconds=60,
                created_at=datetime.now(UTC))
    assert render.tasks_frame([task]).rows == [["01234567", "running", "top", "inventory", "default"]]
    assert render.queue_markdown(agents, [task]) == "**Queue:** 2 waiting · 1 running (inventory) · 1 active task"


def test_health_summary() -> None:
    detail = ClusterDetail(name="prod", server="https://x", status="synced", version="v1.31.4", nodes=3, pods=40,
                           namespaces=6, latency_ms=1.26,
                           node_list=[NodeSummary(name="n1", ready=True), NodeSummary(name="n2", ready=False),
                                      NodeSummary(name="n3", ready=True, unschedulable=True)])
    text = render.health_markdown(detail)
    assert "### prod" in text and "Status: **synced** · Kubernetes v1.31.4" in text
    assert "3 nodes · 40 pods · 6 namespaces" in text and "Nodes ready: 2/3 (not ready: n2)" in text
    assert "Cordoned: n3" in text and "API latency 1.3 ms" in text
    down = ClusterSummary(name="dev", server="https://y", status="unreachable: refused", error="connection refused",
                          remediation="start it")
    assert render.health_markdown(down) == "### dev\n**Unreachable:** connection refused\n\n_What to do:_ start it"
    assert "kubegenie demo" in render.health_markdown(None)
