"""The facade every entry point uses: one Assistant per process wires settings, clusters, understanding,
the dialogue and the agent runtime. `ask(text)` turns a message into an Answer; entry points stay thin and
never reach below this module.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from pydantic import ValidationError

from kubegenie import errors
from kubegenie.agents.base import AgentContext, AgentResult, RequestScope
from kubegenie.agents.registry import AgentInfo, AgentRegistry
from kubegenie.conversation.dialogue import Ask, Cancelled, Confirm, Run, Turn, record_items, respond
from kubegenie.conversation.state import DialogueState, ItemRef, new_state
from kubegenie.domain.answer import Action, Answer, Table
from kubegenie.domain.clusters import ClusterDetail, ClusterSummary, NodeSummary
from kubegenie.domain.intents import AnyRequest, ResourceKind
from kubegenie.kube.cache import ClusterCache
from kubegenie.kube.fleet import fan_out
from kubegenie.kube.informer import SyncState
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.nlu.classifier import IntentClassifier
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.model import model_is_trained, trained_classifier
from kubegenie.orchestration.runtime import Runtime
from kubegenie.orchestration.task import Priority, Task, TaskState
from kubegenie.settings import Settings

MAX_MESSAGE_CHARS = 1_000_000
CONTEXT_REFRESH_SECONDS = 2.0
"""How often the names the NLU matches against are re-read from a changing cache."""


def context_factory_for(clusters: ClusterRegistry, agents: AgentRegistry | None = None) -> Any:
    """The services agents get wherever they run (this process, or a Celery worker)."""

    async def build(scope: RequestScope) -> AgentContext:
        services: dict[type[Any], object] = {ClusterRegistry: clusters}
        if agents is not None:
            services[AgentRegistry] = agents
        return AgentContext(scope=scope, services=services)

    return build


class Assistant:
    def __init__(self, settings: Settings, clusters: ClusterRegistry | None = None) -> None:
        self.settings = settings
        self.clusters = clusters or ClusterRegistry.from_settings(settings)
        self._runtime: Runtime | None = None
        self._runtime_lock = asyncio.Lock()
        self._contexts: dict[str | None, tuple[float, int, NluContext]] = {}
        self._warm_up: asyncio.Task[IntentClassifier] | None = None

    async def runtime(self) -> Runtime:
        """The agent runtime, opened on first use (listing clusters needs none). The intent model starts
        training in a thread beside it, so a server answers its first question without that wait."""
        if self._warm_up is None and not model_is_trained():
            self._warm_up = asyncio.create_task(asyncio.to_thread(trained_classifier))
        async with self._runtime_lock:
            if self._runtime is None:
                from kubegenie.orchestration.runtime import build_registry

                registry = build_registry(self.settings)
                self._runtime = await Runtime.open(self.settings, registry=registry,
                                                   context_factory=context_factory_for(self.clusters, registry))
            return self._runtime

    async def close(self) -> None:
        if self._runtime is not None:
            await self._runtime.close()
            self._runtime = None
        await self.clusters.close()

    # --- conversation --------------------------------------------------------------------------------

    async def ask(self, text: str, *, conversation_id: str | None = None, cluster: str | None = None,
                  all_clusters: bool = False, user: str | None = None) -> Answer:
        """Answer one message. Errors a user can act on are raised as KubeGenieErrors with a remediation."""
        started = time.perf_counter()
        if not isinstance(text, str):
            raise errors.InvalidInput("The message must be text.", "Send the question as a string.")
        if len(text) > MAX_MESSAGE_CHARS:
            raise errors.InvalidInput(f"The message is {len(text):,} characters long; KubeGenie reads at most "
                                      f"{MAX_MESSAGE_CHARS:,}.", "Ask a shorter question.")
        if cluster is not None:
            self.clusters.entry(cluster)  # unknown names fail here, with a did-you-mean
        conversation_id = conversation_id or uuid.uuid4().hex
        runtime = await self.runtime()
        conversations = runtime.store.conversations
        stored = await runtime.store.run(conversations.state, conversation_id)
        state = _load_state(stored, conversation_id)
        if cluster is not None and cluster != state.cluster:
            state = state.model_copy(update={"cluster": cluster})
        context = await self._nlu_context(state.cluster or cluster)
        if not model_is_trained():  # wait for the training runtime() started; never train on the event loop
            await (self._warm_up or asyncio.to_thread(trained_classifier))
        turn = respond(text, state, context)
        if all_clusters and isinstance(turn.outcome, Run):
            turn = turn.model_copy(update={"outcome": turn.outcome.model_copy(update={
                "request": turn.outcome.request.model_copy(update={"all_clusters": True})})})
        await runtime.store.run(conversations.append, conversation_id, "user", text[:10_000], user=user)
        answer, state = await self._act(turn, conversation_id, user, runtime)
        answer = answer.model_copy(update={"took_ms": round((time.perf_counter() - started) * 1000, 2)})
        await runtime.store.run(conversations.append, conversation_id, "assistant", answer.text[:20_000],
                                user=user, intent=answer.intent, task_id=answer.task_id,
                                state=state.model_dump(mode="json"))
        return answer

    async def _act(self, turn: Turn, conversation_id: str, user: str | None,
                   runtime: Runtime) -> tuple[Answer, DialogueState]:
        outcome, state = turn.outcome, turn.state
        notes = "".join(f"\n\n_{note}_" for note in turn.notes)
        if isinstance(outcome, Ask):
            clarification = outcome.clarification
            return Answer(conversation_id=conversation_id, intent=None, text=clarification.question + notes,
                          suggestions=[option.label for option in clarification.options],
                          clarification=clarification.reason.value), state
        if isinstance(outcome, Cancelled):
            return Answer(conversation_id=conversation_id, intent=outcome.request.intent.value,
                          text=outcome.message + notes), state
        if isinstance(outcome, Confirm):
            request = outcome.request
            if not runtime.orchestrator.can_serve(request.intent):
                state = state.model_copy(update={"pending": None})
                return self._not_installed(conversation_id, request, notes), state
            action = Action(id=f"confirm-{state.turn}", description=outcome.question, requires_confirmation=True)
            return Answer(conversation_id=conversation_id, intent=request.intent.value,
                          cluster=request.cluster or state.cluster,
                          text=f"{outcome.question} Reply **yes** to go ahead or **no** to cancel.{notes}",
                          actions=[action], suggestions=["yes", "no"]), state
        assert isinstance(outcome, Run)
        request = outcome.request
        if request.cluster is None and state.cluster is not None and not request.all_clusters:
            request = request.model_copy(update={"cluster": state.cluster})
        if not runtime.orchestrator.can_serve(request.intent):
            return self._not_installed(conversation_id, request, notes), state
        task = await runtime.orchestrator.run(request, wait_seconds=self._wait_seconds(runtime, request),
                                              priority=Priority.INTERACTIVE, user=user,
                                              conversation_id=conversation_id)
        result = _result_or_raise(task)
        state = record_items(state, _items(result, request))
        text = result.text + "".join(f"\n\n_{note}_" for note in outcome.notes) + notes
        return Answer(conversation_id=conversation_id, intent=request.intent.value, agent=task.agent,
                      cluster=request.cluster or self.clusters.default, text=text, tables=result.tables,
                      charts=result.charts, findings=result.findings, actions=result.actions,
                      task_id=task.id), state

    def _wait_seconds(self, runtime: Runtime, request: AnyRequest) -> float:
        agent = runtime.registry.for_intent(request.intent)
        timeout = runtime.orchestrator.timeout_for(agent) if agent is not None \
            else self.settings.tasks.fan_out_timeout_seconds
        return timeout + 5

    @staticmethod
    def _not_installed(conversation_id: str, request: AnyRequest, notes: str) -> Answer:
        what = request.intent.value.replace("_", " ")
        return Answer(conversation_id=conversation_id, intent=request.intent.value,
                      text=f"I understood this as a **{what}** request, but no agent that answers {what} "
                           f"requests is installed in this KubeGenie yet, so nothing was done. Ask `help` for "
                           f"what is available.{notes}")

    async def _nlu_context(self, cluster: str | None) -> NluContext:
        """What the NLU matches names against: the clusters, and the namespaces and objects of the current one."""
        name = cluster or self.clusters.default
        try:
            cache = await self.clusters.cache(name, wait=5.0) if name is not None else None
        except errors.KubeGenieError:
            cache = None
        changes = cache.changes if cache is not None else -1
        cached = self._contexts.get(name)
        now = time.monotonic()
        if cached is not None and (cached[1] == changes or now - cached[0] < CONTEXT_REFRESH_SECONDS):
            return cached[2].model_copy(update={"now": NluContext().now})
        context = NluContext(clusters=tuple(self.clusters.names()), current_cluster=name,
                             namespaces=tuple(cache.namespaces()) if cache is not None else (),
                             names=_names(cache) if cache is not None else {})
        self._contexts[name] = (now, changes, context)
        return context

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        runtime = await self.runtime()
        turns = await runtime.store.run(runtime.store.conversations.turns, conversation_id)
        return [{"role": t.role, "text": t.text, "intent": t.intent, "at": t.created_at.isoformat()} for t in turns]

    # --- agents and tasks ----------------------------------------------------------------------------

    async def agents(self) -> list[AgentInfo]:
        return await (await self.runtime()).orchestrator.agents()

    async def tasks(self, states: list[TaskState] | None = None, limit: int = 50) -> list[Task]:
        return await (await self.runtime()).orchestrator.find(states=states or (), limit=limit)

    async def task(self, task_id: str) -> Task:
        return await (await self.runtime()).orchestrator.get(task_id)

    async def cancel(self, task_id: str) -> Task:
        return await (await self.runtime()).orchestrator.cancel(task_id)

    # --- clusters ------------------------------------------------------------------------------------

    async def list_clusters(self) -> list[ClusterSummary]:
        """Every configured cluster, probed concurrently; an unreachable one never blocks the others."""
        kube = self.settings.kube
        names = self.clusters.names()

        async def probe(name: str) -> tuple[ClusterSummary, float | None]:
            summary = await self._summary(name, kube.fleet_timeout_seconds)
            return summary, None

        result = await fan_out(names, probe, concurrency=kube.fleet_concurrency,
                               timeout=kube.fleet_timeout_seconds + 1)
        summaries = []
        for outcome in result.outcomes:
            if outcome.value is not None:
                summaries.append(outcome.value)
            else:
                assert outcome.error is not None
                entry = self.clusters.entry(outcome.cluster)
                summaries.append(ClusterSummary(name=entry.name, server=entry.server,
                                                default=entry.name == self.clusters.default,
                                                status=f"unreachable: {outcome.error.message}",
                                                error=outcome.error.message,
                                                remediation=outcome.error.remediation))
        return summaries

    async def _summary(self, name: str, wait: float) -> ClusterSummary:
        entry = self.clusters.entry(name)
        base = ClusterSummary(name=entry.name, server=entry.server, default=entry.name == self.clusters.default,
                              status="unknown")
        try:
            client = await self.clusters.client(name)
            version = await client.version()
            latency = client.last_latency_ms
            cache = await self.clusters.cache(name, wait=wait)
        except errors.KubeGenieError as exc:
            return base.model_copy(update={"status": f"unreachable: {exc.message}", "error": exc.message,
                                           "remediation": exc.remediation})
        status = cache.status()
        update: dict[str, object] = {"version": str(version.get("gitVersion", "")), "latency_ms": latency,
                                     "status": status.describe()}
        if status.state in (SyncState.SYNCED, SyncState.STALE):
            update |= _counts(cache)
        if status.state == SyncState.UNREACHABLE:
            update |= {"error": status.reason}
        return base.model_copy(update=update)

    async def show_cluster(self, name: str) -> ClusterDetail:
        entry = self.clusters.entry(name)
        summary = await self._summary(entry.name, self.settings.kube.fleet_timeout_seconds)
        detail = ClusterDetail(**summary.model_dump(), source=entry.source, context_namespace=entry.namespace)
        if entry.cache is None:
            return detail
        status = entry.cache.status()
        nodes = [_node_summary(node) for node in entry.cache.select("nodes")] if "nodes" in entry.cache.informers \
            else []
        return detail.model_copy(update={
            "namespace_names": entry.cache.namespaces(), "node_list": nodes, "not_permitted": status.not_permitted,
            "kinds": {kind: s.state.value for kind, s in status.kinds.items()}})


def _load_state(stored: dict[str, Any] | None, conversation_id: str) -> DialogueState:
    if not stored:
        return new_state(conversation_id)
    try:
        return DialogueState.model_validate(stored)
    except ValidationError:
        # A state written by an older KubeGenie: start the dialogue afresh rather than fail the message.
        return new_state(conversation_id)


def _result_or_raise(task: Task) -> AgentResult:
    if task.state == TaskState.SUCCEEDED and task.result is not None:
        return task.result
    if task.error is not None:
        raise errors.from_code(task.error.code, task.error.message, task.error.remediation or None)
    if task.state == TaskState.TIMED_OUT:
        raise errors.AgentTimeout(f"The {task.agent or 'agent'} did not answer within {task.timeout_seconds:g}s.")
    raise errors.AgentError(f"The task ended {task.state.value} without an answer.",
                            f"See `kubegenie tasks show {task.id}`.")


def _items(result: AgentResult, request: AnyRequest) -> list[ItemRef]:
    """The objects an answer listed, in order, so "the second one" can point at them."""
    kind = getattr(request, "kind", None)
    if not isinstance(kind, ResourceKind) or not result.tables:
        return []
    table: Table = result.tables[0]
    if "Name" not in table.columns:
        return []
    name_at = table.columns.index("Name")
    namespace_at = table.columns.index("Namespace") if "Namespace" in table.columns else None
    cluster_at = table.columns.index("Cluster") if "Cluster" in table.columns else None
    items = []
    for row in table.rows[:100]:
        items.append(ItemRef(kind=kind, name=str(row[name_at]),
                             namespace=str(row[namespace_at]) if namespace_at is not None else request.namespace,
                             cluster=str(row[cluster_at]) if cluster_at is not None else request.cluster))
    return items


_NAMED_KINDS = tuple(kind for kind in ResourceKind if kind not in (ResourceKind.EVENT,))


def _names(cache: ClusterCache) -> dict[ResourceKind, tuple[str, ...]]:
    names: dict[ResourceKind, tuple[str, ...]] = {}
    for kind in _NAMED_KINDS:
        informer = cache.informers.get(kind.value)
        if informer is not None:
            names[kind] = tuple(sorted({key[1] for key in informer.objects}))
    return names


def _counts(cache: ClusterCache) -> dict[str, object]:
    counts: dict[str, object] = {}
    for kind in ("nodes", "pods", "namespaces"):
        informer = cache.informers.get(kind)
        if informer is not None and informer.status.state in (SyncState.SYNCED, SyncState.STALE):
            counts[kind] = len(informer.objects)
    return counts


def _node_summary(node: dict[str, Any]) -> NodeSummary:
    meta, status, spec = node.get("metadata") or {}, node.get("status") or {}, node.get("spec") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    roles = sorted(label.split("/", 1)[1] for label in meta.get("labels") or {}
                   if label.startswith("node-role.kubernetes.io/"))
    return NodeSummary(name=str(meta.get("name", "")), ready=ready, roles=roles,
                       kubelet_version=str((status.get("nodeInfo") or {}).get("kubeletVersion", "")),
                       unschedulable=bool(spec.get("unschedulable")))

