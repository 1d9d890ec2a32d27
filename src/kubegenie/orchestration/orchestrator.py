"""The orchestrator: a typed request in, a `Task` out. It picks the agent for the intent (or fans out to
several), applies timeouts, priorities and retry budgets, records the task, hands it to the queue, and lets
callers wait for, list and cancel tasks. Bad input becomes a failed task with a clear reason, never an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kubegenie.agents.base import Agent, RequestScope, policy_of
from kubegenie.agents.registry import AgentInfo, AgentRegistry, AgentStats
from kubegenie.domain.intents import MUTATING_INTENTS, Intent, Request
from kubegenie.errors import AgentUnavailable, KubeGenieError
from kubegenie.observability.metrics import RuntimeMetrics
from kubegenie.orchestration import fanout
from kubegenie.orchestration.intake import Rejected, intent_of, parse_request
from kubegenie.orchestration.messages import TaskMessage, new_task_id
from kubegenie.orchestration.queue import TaskQueue
from kubegenie.orchestration.task import Task
from kubegenie.settings import TaskSettings
from kubegenie.store.records import ACTIVE_STATES, NewTask, Priority, TaskError, TaskRecord, TaskState
from kubegenie.store.store import Store

log = logging.getLogger(__name__)
ORCHESTRATOR = "orchestrator"


class Orchestrator:
    def __init__(self, registry: AgentRegistry, store: Store, queue: TaskQueue, settings: TaskSettings, *,
                 metrics: RuntimeMetrics | None = None, poll_seconds: float | None = None) -> None:
        self.registry = registry
        self.store = store
        self.queue = queue
        self.metrics = metrics or RuntimeMetrics()
        self._settings = settings
        # In-process tasks announce their end; polling only catches tasks finished by other processes.
        self._poll = poll_seconds or (1.0 if queue.backend == "inprocess" else 0.02)
        self._poller: asyncio.Task[None] | None = None
        self._waiters: dict[str, list[asyncio.Future[TaskRecord | None]]] = {}
        self._watchers: set[asyncio.Task[None]] = set()
        queue.subscribe(self._finished)

    # -- submitting -------------------------------------------------------------------------------------------

    async def submit(self, request: Request | Mapping[str, Any], *, priority: Priority = Priority.NORMAL,
                     timeout_seconds: float | None = None, user: str | None = None,
                     conversation_id: str | None = None, deadline: datetime | None = None) -> Task:
        """Record and queue a task for the request; returns at once with the task (maybe already failed)."""
        task_id = new_task_id()
        common: dict[str, Any] = {"backend": self.queue.backend, "priority": priority, "requested_by": user,
                                  "conversation_id": conversation_id, "deadline": deadline}
        parsed = parse_request(request)
        if isinstance(parsed, Rejected):
            raw = dict(request) if isinstance(request, Mapping) else {}
            return await self._reject(NewTask(id=task_id, intent=parsed.intent, agent=None, request=_jsonable(raw),
                                              timeout_seconds=timeout_seconds or 0.0, **common), parsed.error)
        intent = intent_of(parsed)
        self.metrics.submitted.labels(intent.value).inc()
        agent = self.registry.for_intent(intent)
        if agent is None and intent in fanout.PLANS:
            return await self._fan_out(task_id, parsed, intent, timeout_seconds, common)
        data = parsed.model_dump(mode="json")
        if agent is None:
            missing = AgentUnavailable(f"no installed agent answers '{intent.value}' requests")
            return await self._reject(NewTask(id=task_id, intent=intent.value, agent=None, request=data,
                                              cluster=parsed.cluster, timeout_seconds=timeout_seconds or 0.0,
                                              **common), TaskError(missing.code, missing.message, missing.remediation))
        record = await self.store.run(self.store.tasks.create, self._new_task(task_id, parsed, intent, agent,
                                                                                timeout_seconds, common))
        await self.queue.enqueue(self._message(record))
        return Task.of(record)

    async def run(self, request: Request | Mapping[str, Any], *, wait_seconds: float | None = None,
                  **options: Any) -> Task:
        """Submit and wait for the final state (or until `wait_seconds` pass)."""
        task = await self.submit(request, **options)
        return task if task.final else await self._wait(task.id, wait_seconds, read_first=False)

    def can_serve(self, intent: Intent) -> bool:
        if self.registry.for_intent(intent) is not None:
            return True
        return any(self.registry.for_intent(part) is not None for part in fanout.PLANS.get(intent, ()))

    # -- following --------------------------------------------------------------------------------------------

    async def get(self, task_id: str) -> Task:
        return Task.of(await self.store.run(self.store.tasks.get, task_id))

    async def find(self, *, states: Collection[TaskState] = (), agent: str | None = None,
                   parent_id: str | None = None, limit: int = 50) -> list[Task]:
        records = await self.store.run(self.store.tasks.find, states=states, agent=agent, parent_id=parent_id,
                                       limit=limit)
        return [Task.of(record) for record in records]

    async def wait(self, task_id: str, *, timeout: float | None = None) -> Task:
        """The task once final, or as it is when `timeout` seconds have passed."""
        return await self._wait(task_id, timeout, read_first=True)

    async def _wait(self, task_id: str, timeout: float | None, *, read_first: bool) -> Task:
        give_up = None if timeout is None else time.monotonic() + timeout
        while True:
            # Registered before reading, so a task finishing in between still wakes us.
            waiter = self._waiter(task_id)
            try:
                record = await self.store.run(self.store.tasks.get, task_id) if read_first else None
                read_first = True
                if record is not None and record.state.final:
                    return Task.of(record)
                left = None if give_up is None else give_up - time.monotonic()
                try:
                    if left is not None and left <= 0:
                        raise TimeoutError
                    known = await asyncio.wait_for(waiter, left)
                except TimeoutError:
                    return Task.of(record if record is not None else await self.store.run(self.store.tasks.get,
                                                                                        task_id))
                if known is not None and known.state.final:
                    return Task.of(known)
            finally:
                self._forget(task_id, waiter)

    def _waiter(self, task_id: str) -> asyncio.Future[TaskRecord | None]:
        waiter: asyncio.Future[TaskRecord | None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(task_id, []).append(waiter)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll_finished(), name="kubegenie-task-poller")
        return waiter

    async def _poll_finished(self) -> None:
        """Wake waiters of tasks that finished in other processes: one query per interval for all of them."""
        while self._waiters:
            await asyncio.sleep(self._poll)
            waited = list(self._waiters)
            if not waited:
                break
            try:
                finished = await self.store.run(self.store.tasks.finished_among, waited)
            except KubeGenieError as exc:
                log.warning("cannot poll task states: %s", exc.message)
                continue
            for task_id in finished:
                self._finished(task_id, None)

    def _forget(self, task_id: str, waiter: asyncio.Future[TaskRecord | None]) -> None:
        waiters = self._waiters.get(task_id, [])
        if waiter in waiters:
            waiters.remove(waiter)
        if not waiters:
            self._waiters.pop(task_id, None)

    async def cancel(self, task_id: str) -> Task:
        """Cancel a queued or running task (and the parts of a fanned-out one). Final tasks stay as they are."""
        record = await self.store.run(self.store.tasks.request_cancel, task_id)
        affected = [record]
        if record.agent is None:
            affected += await self.store.run(self.store.tasks.children, task_id)
        for task in affected:
            if task.state in ACTIVE_STATES or task.state is TaskState.CANCELLED:
                await self.queue.cancel(task.id)
            if task.state.final:
                self._finished(task.id, None)
        return Task.of(record)

    async def agents(self) -> list[AgentInfo]:
        return await self.store.run(agent_overview, self.registry, self.store)

    async def refresh_metrics(self) -> None:
        depths = await self.store.run(self.store.tasks.queued_by_agent)
        self.metrics.set_queue_depth(self.queue.backend, depths)

    # -- restarting -------------------------------------------------------------------------------------------

    async def recover(self) -> int:
        """Pick up what a previous run of this process left: in-process tasks and unmerged fan-outs."""
        resumed = 0
        if self.queue.backend == "inprocess":
            for record in await self.store.run(self.store.tasks.unfinished, self.queue.backend):
                if record.agent is not None:
                    attempt = record.attempts if record.state is TaskState.RUNNING else record.attempts + 1
                    await self.queue.enqueue(self._message(record, attempt=max(1, attempt)))
                    resumed += 1
        for parent in await self.store.run(self.store.tasks.stale_parents):
            deadline = parent.created_at + timedelta(seconds=parent.timeout_seconds)
            self._watch(self._complete_fan_out(parent.id, Intent(parent.intent), deadline))
            resumed += 1
        return resumed

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        for watcher in list(self._watchers):
            watcher.cancel()
        for watcher in list(self._watchers):
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    # -- internals --------------------------------------------------------------------------------------------

    def _new_task(self, task_id: str, request: Request, intent: Intent, agent: Agent, timeout: float | None,
                  common: dict[str, Any], parent_id: str | None = None) -> NewTask:
        read_only = intent not in MUTATING_INTENTS
        return NewTask(id=task_id, intent=intent.value, agent=agent.name, request=request.model_dump(mode="json"),
                       cluster=request.cluster, parent_id=parent_id, read_only=read_only,
                       timeout_seconds=timeout or self.timeout_for(agent),
                       max_attempts=self._settings.max_attempts if read_only else 1, **common)

    def timeout_for(self, agent: Agent) -> float:
        """Settings override what the agent declares, which overrides the default."""
        configured = self._settings.timeouts.get(agent.name)
        return configured or policy_of(agent).timeout_seconds or self._settings.default_timeout_seconds

    @staticmethod
    def _message(record: TaskRecord, *, attempt: int = 1) -> TaskMessage:
        assert record.agent is not None
        scope = RequestScope(task_id=record.id, cluster=record.cluster, user=record.requested_by,
                             conversation_id=record.conversation_id, deadline=record.deadline, attempt=attempt)
        return TaskMessage(task_id=record.id, agent=record.agent, intent=record.intent, request=record.request,
                           scope=scope, priority=record.priority, timeout_seconds=record.timeout_seconds,
                           read_only=record.read_only, max_attempts=record.max_attempts)

    async def _reject(self, task: NewTask, error: TaskError) -> Task:
        record = await self.store.run(self.store.tasks.create_failed, task, error)
        self.metrics.task_finished("none", TaskState.FAILED.value, None, error.code)
        return Task.of(record)

    async def _fan_out(self, task_id: str, request: Request, intent: Intent, timeout: float | None,
                       common: dict[str, Any]) -> Task:
        budget = timeout or self._settings.fan_out_timeout_seconds
        parent = NewTask(id=task_id, intent=intent.value, agent=None, request=request.model_dump(mode="json"),
                         cluster=request.cluster, timeout_seconds=budget, **common)
        children = []
        for part in fanout.parts_of(request):
            agent = self.registry.for_intent(intent_of(part))
            if agent is not None:
                # A part may not outlast the whole: the report is merged when its budget runs out.
                part_timeout = min(timeout or self.timeout_for(agent), budget)
                children.append(self._new_task(new_task_id(), part, intent_of(part), agent, part_timeout, common,
                                               parent_id=task_id))
        records = await self.store.run(self.store.tasks.create_many, [parent, *children])
        await self.store.run(self.store.tasks.claim, task_id, 1, ORCHESTRATOR)
        for record in records[1:]:
            await self.queue.enqueue(self._message(record))
        self._watch(self._complete_fan_out(task_id, intent, records[0].created_at + timedelta(seconds=budget)))
        return await self.get(task_id)

    def _watch(self, work: Any) -> None:
        watcher: asyncio.Task[None] = asyncio.ensure_future(work)
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watched)

    def _watched(self, watcher: asyncio.Task[None]) -> None:
        self._watchers.discard(watcher)
        if not watcher.cancelled() and (error := watcher.exception()) is not None:
            # The parent stays running in the store; `recover` merges it on the next start.
            log.error("merging a fanned-out task failed: %s", error, exc_info=error)

    async def _complete_fan_out(self, parent_id: str, intent: Intent, deadline: datetime) -> None:
        children = await self.store.run(self.store.tasks.children, parent_id)
        for child in children:
            left = (deadline - datetime.now(UTC)).total_seconds()
            if left <= 0:
                break
            await self.wait(child.id, timeout=left)
        children = await self.store.run(self.store.tasks.children, parent_id)
        late = {child.id for child in children if not child.state.final}
        for task_id in late:
            await self.cancel(task_id)
        by_intent = {child.intent: child for child in children}
        parts = [self._part(part, by_intent.get(part.value), late) for part in fanout.PLANS[intent]]
        merged = fanout.merge(parts)
        parent = await self.store.run(self.store.tasks.get, parent_id)
        if parent.cancel_requested:
            state, error = TaskState.CANCELLED, TaskError("cancelled", "the task was cancelled")
        elif any(part.state is TaskState.SUCCEEDED for part in parts):
            state, error = TaskState.SUCCEEDED, None
        else:
            state, error = TaskState.FAILED, TaskError(
                "fan_out_failed", f"no part of the {fanout.title(intent).lower()} could be produced",
                "See each part's reason in the text, or run `kubegenie tasks list` for the parts.")
        final = await self.store.run(self.store.tasks.finish, parent_id, state, worker=ORCHESTRATOR, attempt=1,
                                     error=error, status=merged.status.value, payload=merged.model_dump(mode="json"))
        self._finished(parent_id, final)

    @staticmethod
    def _part(intent: Intent, child: TaskRecord | None, late: Collection[str]) -> fanout.Part:
        if child is None:
            return fanout.Part(intent, None, TaskState.FAILED, reason="no agent installed for it")
        if child.id in late:
            return fanout.Part(intent, child.agent, TaskState.TIMED_OUT, reason="the report's time budget ran out")
        task = Task.of(child)
        return fanout.Part(intent, child.agent, child.state, task.result,
                           task.error.message if task.error is not None else "")

    def _finished(self, task_id: str, record: TaskRecord | None) -> None:
        for waiter in self._waiters.pop(task_id, []):
            if not waiter.done():
                waiter.set_result(record)


def agent_overview(registry: AgentRegistry, store: Store) -> list[AgentInfo]:
    """Every agent with its live figures from the store (valid across processes and workers)."""
    stats = {
        name: AgentStats(queued=counts.queued, active=counts.running, completed=counts.succeeded,
                         failed=counts.failed, recent_durations=tuple(counts.recent_durations))
        for name, counts in store.tasks.agent_counts().items()
    }
    return registry.overview(stats)


def _jsonable(raw: dict[str, Any]) -> dict[str, Any]:
    """Keep what a rejected caller sent, as far as it is JSON (it is shown back in `tasks show`)."""
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str | int | float | bool | type(None) | list | dict):
            clean[str(key)] = value
        else:
            clean[str(key)] = repr(value)
    return clean
