"""Running one task message on its agent, wherever that happens (the in-process pool or a Celery worker).

The executor claims the task in the store, builds the agent's context, runs `handle` under the deadline,
turns whatever happened into a final state (or a retry), and records it exactly once. Agents are third-party
code: an agent that raises, hangs or even ignores cancellation costs one task, never the executor.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from kubegenie.agents.base import Agent, AgentResult, ContextFactory, plain_context
from kubegenie.agents.registry import AgentRegistry
from kubegenie.domain.intents import Request
from kubegenie.errors import AgentTimeout, AgentUnavailable, KubeGenieError
from kubegenie.observability.metrics import RuntimeMetrics
from kubegenie.orchestration import retry
from kubegenie.orchestration.intake import Rejected, parse_request
from kubegenie.orchestration.limits import ConcurrencyLimits
from kubegenie.orchestration.messages import TaskMessage
from kubegenie.orchestration.queue import Finished, FinishedListener, Outcome, Retry, Skipped
from kubegenie.settings import TaskSettings
from kubegenie.store.records import TaskError, TaskRecord, TaskState
from kubegenie.store.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

CANCEL_GRACE_SECONDS = 1.0
"""How long an agent gets to wind down after its deadline or a cancellation before it is abandoned."""


@dataclass(frozen=True)
class _Verdict:
    state: TaskState
    error: TaskError | None = None
    result: AgentResult | None = None
    retry_after: float | None = None


class Executor:
    def __init__(self, registry: AgentRegistry, store: Store, settings: TaskSettings, *, worker: str,
                 context_factory: ContextFactory = plain_context, metrics: RuntimeMetrics | None = None,
                 limits: ConcurrencyLimits | None = None) -> None:
        self.registry = registry
        self.worker = worker
        self._store = store
        self._settings = settings
        self._context_factory = context_factory
        self._metrics = metrics or RuntimeMetrics()
        self._limits = limits
        self._running: dict[str, asyncio.Task[AgentResult]] = {}
        self._cancelling: set[str] = set()
        self._listeners: list[FinishedListener] = []

    def subscribe(self, listener: FinishedListener) -> None:
        self._listeners.append(listener)

    @property
    def running(self) -> frozenset[str]:
        return frozenset(self._running)

    async def run(self, message: TaskMessage) -> Outcome:
        """Run one message to an outcome. Cancelling the caller (shutdown) leaves the task for a restart."""
        if self._limits is None:
            return await self._run(message)
        async with self._limits.hold(message.agent, message.cluster):
            return await self._run(message)

    def cancel(self, task_id: str) -> bool:
        """Stop a running task of this executor; it is recorded as cancelled."""
        job = self._running.get(task_id)
        if job is None:
            return False
        self._cancelling.add(task_id)
        job.cancel()
        return True

    async def watch_cancellations(self) -> None:
        """Stop tasks whose cancellation was asked through the store, e.g. by `kubegenie tasks cancel`."""
        while True:
            await asyncio.sleep(self._settings.cancel_poll_seconds)
            if not self._running:
                continue
            try:
                wanted = await self._store.run(self._store.tasks.cancel_requested, list(self._running))
            except KubeGenieError as exc:
                log.warning("cannot check for cancelled tasks: %s", exc.message)
                continue
            for task_id in wanted:
                self.cancel(task_id)

    async def _run(self, message: TaskMessage) -> Outcome:
        record = await self._store.run(self._store.tasks.claim, message.task_id, message.attempt, self.worker)
        if record is None:
            return await self._not_claimed(message)
        self._metrics.task_started(message.agent)
        started = time.monotonic()
        try:
            verdict = await self._attempt(message)
        finally:
            self._metrics.task_stopped(message.agent)
        seconds = time.monotonic() - started
        if verdict.retry_after is not None and verdict.error is not None:
            if await self._store.run(self._store.tasks.requeue, message.task_id, verdict.error):
                self._metrics.task_finished(message.agent, "retried", seconds, verdict.error.code)
                return Retry(message=message.next_attempt(), delay_seconds=verdict.retry_after)
            # Someone cancelled it meanwhile; record that instead of retrying.
            verdict = _Verdict(TaskState.CANCELLED, _cancelled_error())
        return await self._record(message, verdict, seconds)

    async def _attempt(self, message: TaskMessage) -> _Verdict:
        timeout = message.timeout_seconds
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        if message.scope.deadline is not None and message.scope.deadline < deadline:
            deadline = message.scope.deadline
            timeout = (deadline - datetime.now(UTC)).total_seconds()
            if timeout <= 0:
                return _Verdict(TaskState.TIMED_OUT, _error(AgentTimeout(
                    f"the task's deadline passed before agent '{message.agent}' could start on it")))
        try:
            agent = self.registry.get(message.agent)
        except AgentUnavailable:
            return _Verdict(TaskState.FAILED, _error(AgentUnavailable(
                f"agent '{message.agent}' is not installed on worker {self.worker}",
                "Install the same agent packages on every worker.")))
        request = parse_request(message.request)
        if isinstance(request, Rejected):
            return _Verdict(TaskState.FAILED, request.error)
        scope = message.scope.model_copy(update={"deadline": deadline})
        try:
            context = await asyncio.wait_for(self._context_factory(scope), timeout)
        except TimeoutError:
            return _Verdict(TaskState.TIMED_OUT, _error(AgentTimeout(
                f"preparing agent '{agent.name}' took longer than its {message.timeout_seconds:g} s timeout")))
        except KubeGenieError as exc:
            return self._failure(message, exc)
        return await self._supervise(message, agent, self._guard(agent.handle(request, context), agent, request),
                                     timeout)

    async def _supervise(self, message: TaskMessage, agent: Agent, work: Awaitable[AgentResult],
                         timeout: float) -> _Verdict:
        job = asyncio.ensure_future(work)
        self._running[message.task_id] = job
        try:
            done, _ = await asyncio.wait({job}, timeout=timeout)
            if not done:
                await _stop(job, agent.name)
                return _Verdict(TaskState.TIMED_OUT, _error(AgentTimeout(
                    f"agent '{agent.name}' did not answer within {timeout:.3g} s")))
        except asyncio.CancelledError:
            # The executor itself is being shut down: stop the agent and leave the task for a restart.
            await _stop(job, agent.name)
            raise
        finally:
            self._running.pop(message.task_id, None)
        if message.task_id in self._cancelling:
            self._cancelling.discard(message.task_id)
            # An agent that finished just before the cancellation keeps its answer.
            if job.cancelled() or job.exception() is not None:
                return _Verdict(TaskState.CANCELLED, _cancelled_error())
        if job.cancelled():
            return _Verdict(TaskState.FAILED, TaskError(
                code="agent_crashed", message=f"agent '{agent.name}' cancelled itself",
                remediation="Report this to the agent's authors."))
        error = job.exception()
        if error is None:
            return _Verdict(TaskState.SUCCEEDED, result=job.result())
        return self._failure(message, error)

    def _failure(self, message: TaskMessage, error: BaseException) -> _Verdict:
        if retry.should_retry(error, read_only=message.read_only, attempt=message.attempt,
                              max_attempts=message.max_attempts):
            delay = retry.backoff_seconds(message.attempt, base=self._settings.retry_backoff_seconds,
                                          cap=self._settings.retry_backoff_max_seconds)
            return _Verdict(TaskState.FAILED, _error(error), retry_after=delay)
        return _Verdict(TaskState.FAILED, _error(error))

    async def _guard(self, work: Awaitable[AgentResult], agent: Agent, request: Request) -> AgentResult:
        try:
            result = await work
        except KubeGenieError:
            raise
        # The agent is third-party code: whatever it raises becomes this task's failure, logged with its
        # traceback, and the runtime carries on with the other tasks.
        except Exception as exc:
            log.exception("agent %s failed on a %s request", agent.name, type(request).__name__)
            raise _AgentCrashed(agent.name, exc) from exc
        if not isinstance(result, AgentResult):
            raise _AgentCrashed(agent.name, TypeError(f"returned {type(result).__name__}, not an AgentResult"))
        return result

    async def _record(self, message: TaskMessage, verdict: _Verdict, seconds: float) -> Outcome:
        payload = verdict.result.model_dump(mode="json") if verdict.result is not None else None
        recorded = await self._store.run(
            self._store.tasks.finish, message.task_id, verdict.state, worker=self.worker, attempt=message.attempt,
            error=verdict.error, status=verdict.result.status.value if verdict.result is not None else None,
            payload=payload)
        if recorded is None:
            return Skipped(reason="another delivery of this task finished it first")
        self._metrics.task_finished(message.agent, verdict.state.value, seconds,
                                    verdict.error.code if verdict.error is not None else None)
        self._notify(message.task_id, recorded)
        return Finished(verdict.state)

    async def _not_claimed(self, message: TaskMessage) -> Outcome:
        try:
            record = await self._store.run(self._store.tasks.get, message.task_id)
        except KubeGenieError:
            return Skipped(reason="the store has no such task")
        if record.state.final:
            self._notify(message.task_id, record)
            return Skipped(reason=f"the task had already {record.state.value}")
        if record.cancel_requested:
            final = await self._store.run(self._store.tasks.finish, message.task_id, TaskState.CANCELLED,
                                          worker=self.worker, error=_cancelled_error())
            self._notify(message.task_id, final)
            return Finished(TaskState.CANCELLED)
        return Skipped(reason=f"attempt {record.attempts} has superseded attempt {message.attempt}")

    def _notify(self, task_id: str, record: TaskRecord | None) -> None:
        for listener in self._listeners:
            listener(task_id, record)


class _AgentCrashed(Exception):
    def __init__(self, agent: str, cause: BaseException) -> None:
        super().__init__(f"agent '{agent}' raised {type(cause).__name__}: {cause}")
        self.agent = agent


async def _stop(job: asyncio.Future[T], agent: str) -> None:
    """Cancel an agent's work and give it a moment; one that ignores cancellation is left behind."""
    job.cancel()
    done, _ = await asyncio.wait({job}, timeout=CANCEL_GRACE_SECONDS)
    if not done:
        log.error("agent %s ignored cancellation for %.1f s; abandoning it", agent, CANCEL_GRACE_SECONDS)
        job.add_done_callback(_consume)
    elif not job.cancelled():
        job.exception()  # mark as retrieved: its error no longer matters once the task is decided


def _consume(job: asyncio.Future[T]) -> None:
    if not job.cancelled():
        job.exception()


def _error(error: BaseException) -> TaskError:
    if isinstance(error, KubeGenieError):
        return TaskError(code=error.code, message=error.message, remediation=error.remediation)
    if isinstance(error, _AgentCrashed):
        return TaskError(code="agent_crashed", message=str(error),
                         remediation="The agent has a bug; its traceback is in the log. Report it to its authors.")
    return TaskError(code="internal_error", message=f"{type(error).__name__}: {error}",
                     remediation="This is a bug in KubeGenie; please report it with the log.")


def _cancelled_error() -> TaskError:
    return TaskError(code="cancelled", message="the task was cancelled", remediation="")
