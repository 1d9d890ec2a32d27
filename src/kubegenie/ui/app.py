"""The web UI (Gradio) at /ui: a chat with markdown answers, full tables and Plotly charts of the last answer, a
cluster selector and namespace filter, clickable example questions, and a side panel (cluster health, agents,
active tasks, queue) refreshing on a timer. Callbacks only call the Assistant and the pure functions of
render.py; the only package that imports gradio.
"""

from __future__ import annotations

import warnings
from typing import Any, cast

import gradio as gr

from kubegenie import errors
from kubegenie.assistant import Assistant
from kubegenie.domain.answer import Answer
from kubegenie.domain.examples import TOUR
from kubegenie.orchestration.task import TaskState
from kubegenie.ui import render

MAX_TABLES = 3
MAX_CHARTS = 2
ALL_NAMESPACES = "(all namespaces)"
REFRESH_SECONDS = 3.0
CONCURRENCY = 16
"""Questions answered at once for all browser sessions together."""
CSS = """
#kg-side { border-left: 1px solid var(--border-color-primary); padding-left: 12px; }
#kg-examples button { font-size: 0.85em; }
footer { display: none !important; }
"""

Update = dict[str, Any]
History = list[dict[str, Any]]


class Handlers:
    """The UI's callbacks, bound to one Assistant; Gradio runs them on the server's event loop."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    async def ask(self, message: str, history: History | None, conversation_id: str | None, cluster: str | None,
                  namespace: str | None) -> tuple[Any, ...]:
        history = list(history or [])
        text = (message or "").strip()
        if not text:
            return (history, message, conversation_id, gr.skip(), *[gr.skip()] * (MAX_TABLES + MAX_CHARTS))
        answer: Answer | None = None
        try:
            answer = await self.assistant.ask(text, conversation_id=conversation_id, cluster=cluster or None)
            reply = render.answer_markdown(answer)
            conversation_id = answer.conversation_id
        except errors.KubeGenieError as exc:
            reply = render.error_markdown(exc)
        history += [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]
        stored = answer.model_dump(mode="json") if answer is not None else None
        return (history, "", conversation_id, stored, *self.tables(stored, namespace), *self.charts(answer))

    def tables(self, stored: dict[str, Any] | None, namespace: str | None) -> list[Update]:
        answer = Answer.model_validate(stored) if stored else None
        found = render.frames(answer, namespace if namespace and namespace != ALL_NAMESPACES else None)
        updates = []
        for index in range(MAX_TABLES):
            if index < len(found):
                frame = found[index]
                label = frame.title + (f" ({frame.note})" if frame.note else "")
                updates.append(gr.update(value=frame.value(), label=label, visible=True))
            else:
                updates.append(gr.update(value=None, visible=False))
        return updates

    @staticmethod
    def charts(answer: Answer | None) -> list[Update]:
        found = render.figures(answer)
        return [gr.update(value=found[index], visible=True) if index < len(found) else
                gr.update(value=None, visible=False) for index in range(MAX_CHARTS)]

    async def cluster_changed(self, cluster: str | None) -> tuple[Update, str]:
        try:
            detail = await self.assistant.show_cluster(cluster) if cluster else None
        except errors.KubeGenieError as exc:
            return gr.update(choices=[ALL_NAMESPACES], value=ALL_NAMESPACES), render.error_markdown(exc)
        namespaces = [ALL_NAMESPACES, *(detail.namespace_names if detail is not None else [])]
        return gr.update(choices=namespaces, value=ALL_NAMESPACES), render.health_markdown(detail)

    async def refresh(self, cluster: str | None) -> tuple[Any, ...]:
        agents = await self.assistant.agents()
        active = await self.assistant.tasks([TaskState.QUEUED, TaskState.RUNNING], limit=50)
        try:
            health = render.health_markdown(await self.assistant.show_cluster(cluster) if cluster else None)
        except errors.KubeGenieError as exc:
            health = render.error_markdown(exc)
        return (health, render.agents_frame(agents).value(), render.tasks_frame(active).value(),
                render.queue_markdown(agents, active))


def build_ui(assistant: Assistant, *, refresh_seconds: float = REFRESH_SECONDS) -> gr.Blocks:
    """The page; every callback works on `assistant`."""
    handlers = Handlers(assistant)
    clusters = assistant.clusters.names()
    ui = gr.Blocks(title="KubeGenie", analytics_enabled=False, fill_height=True)
    with ui:
        conversation = gr.State(None)
        last_answer = gr.State(None)
        gr.Markdown("## KubeGenie\nAsk your clusters questions in plain English (or kubectl style).")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                with gr.Row():
                    cluster = gr.Dropdown(clusters, value=assistant.clusters.default, label="Cluster (context)",
                                          elem_id="kg-cluster", interactive=True, scale=2)
                    namespace = gr.Dropdown([ALL_NAMESPACES], value=ALL_NAMESPACES, label="Namespace filter (tables)",
                                            elem_id="kg-namespace", interactive=True, scale=2)
                chat = gr.Chatbot(label="Conversation", elem_id="kg-chat", height=460, buttons=["copy"],
                                  feedback_options=None, placeholder="Ask a question, or click an example below.")
                with gr.Row():
                    message = gr.Textbox(placeholder="e.g. which pods are failing?", show_label=False,
                                         elem_id="kg-message", scale=5, max_lines=4, autofocus=True)
                    send = gr.Button("Ask", variant="primary", elem_id="kg-send", scale=1)
                with gr.Row(elem_id="kg-examples"):
                    examples = [gr.Button(prompt, size="sm", variant="secondary") for prompt in TOUR]
                tables = [gr.Dataframe(visible=False, interactive=False, wrap=True, max_height=360,
                                       elem_id=f"kg-table-{index}") for index in range(MAX_TABLES)]
                charts = [gr.Plot(visible=False, label="Chart", elem_id=f"kg-chart-{index}")
                          for index in range(MAX_CHARTS)]
            with gr.Column(scale=1, elem_id="kg-side"):
                health = gr.Markdown("Connecting…", elem_id="kg-health")
                queue = gr.Markdown("", elem_id="kg-queue")
                agents = gr.Dataframe(label="Agents", interactive=False, elem_id="kg-agents")
                active = gr.Dataframe(label="Active tasks", interactive=False, elem_id="kg-tasks")
        ask_inputs = [message, chat, conversation, cluster, namespace]
        ask_outputs = [chat, message, conversation, last_answer, *tables, *charts]
        send.click(handlers.ask, ask_inputs, ask_outputs, concurrency_limit=CONCURRENCY)
        message.submit(handlers.ask, ask_inputs, ask_outputs, concurrency_limit=CONCURRENCY)
        for button, prompt in zip(examples, TOUR, strict=True):
            button.click(lambda p=prompt: p, None, message, queue=False).then(
                handlers.ask, ask_inputs, ask_outputs, concurrency_limit=CONCURRENCY)
        namespace.change(handlers.tables, [last_answer, namespace], tables, queue=False)
        cluster.change(handlers.cluster_changed, cluster, [namespace, health])
        side = [health, agents, active, queue]
        ui.load(handlers.cluster_changed, cluster, [namespace, health]).then(handlers.refresh, cluster, side)
        gr.Timer(refresh_seconds).tick(handlers.refresh, cluster, side, show_progress="hidden")
    return ui


def mount(app: object, assistant: Assistant, path: str = "/ui") -> None:
    """Mount the web UI on the API's ASGI app (a FastAPI app, typed loosely: only api/ imports fastapi)."""
    # Gradio's queue statistics use pandas options and keywords that pandas 3 deprecates; those warnings say
    # nothing a user of KubeGenie can act on.
    warnings.filterwarnings("ignore", module="gradio.queueing")
    gr.mount_gradio_app(cast(Any, app), build_ui(assistant), path=path, ssr_mode=False, run_history=False,
                        footer_links=[], mcp_server=False, enable_monitoring=False, pwa=False,
                        theme=gr.themes.Soft(), css=CSS)
