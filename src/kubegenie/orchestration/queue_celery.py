"""The Celery queue backend (`pip install kubegenie[celery]`): tasks travel over Redis or RabbitMQ to
`kubegenie worker` processes. The only module that imports celery or kombu.

Messages are acknowledged only after the task is recorded (acks late), so a worker killed mid-task leaves its
message to be redelivered to another worker; the store's conditional updates make that second run record the
one and only result. Priorities map onto the broker's own: separate Redis lists, a RabbitMQ priority queue.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from celery import Celery, bootsteps
from celery.exceptions import Reject
from celery.signals import worker_ready
from kombu.entity import Exchange, Queue
from kombu.exceptions import OperationalError
from kombu.utils.url import maybe_sanitize_url
from pydantic import ValidationError

from kubegenie.agents.base import ContextFactory, plain_context
from kubegenie.agents.registry import AgentRegistry
from kubegenie.errors import BrokerUnreachable, ConfigError, ServiceUnavailable
from kubegenie.observability.metrics import RuntimeMetrics
from kubegenie.orchestration.executor import Executor
from kubegenie.orchestration.limits import ConcurrencyLimits
from kubegenie.orchestration.messages import TaskMessage
from kubegenie.orchestration.queue import FinishedListener, Retry
from kubegenie.settings import QueueSettings, TaskSettings
from kubegenie.store.records import Priority, TaskError, TaskState
from kubegenie.store.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
TASK_NAME = "kubegenie.run"
MAX_PRIORITY = 9
# Redis pops its lists in this order, lowest number first; RabbitMQ delivers the highest number first.
REDIS_PRIORITY = {Priority.INTERACTIVE: 0, Priority.NORMAL: 4, Priority.BACKGROUND: 9}
AMQP_PRIORITY = {Priority.INTERACTIVE: 9, Priority.NORMAL: 5, Priority.BACKGROUND: 0}
REQUEUE_PAUSE_SECONDS = 1.0


class CeleryQueue:
    backend = "celery"

    def __init__(self, settings: QueueSettings) -> None:
        self._settings = settings
        self.url = maybe_sanitize_url(settings.broker_url)
        scheme = settings.broker_url.split("://", 1)[0]
        if scheme not in ("redis", "rediss", "amqp", "amqps", "pyamqp"):
            raise ConfigError(f"unsupported broker URL {self.url}",
                              "Use redis://HOST:6379/0 or amqp://USER:PASSWORD@HOST:5672//.")
        self._redis = scheme.startswith("redis")
        self.queue = Queue(settings.name, Exchange(settings.name, type="direct"), routing_key=settings.name,
                           queue_arguments={"x-max-priority": MAX_PRIORITY})
        self.app = _make_app(settings, self.queue)
        # Publishing blocks on the broker; a few threads of its own keep a burst of submissions moving.
        self._senders = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kubegenie-send")

    async def start(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._senders, self.check_broker)

    def check_broker(self) -> None:
        try:
            with self.app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2,
                                             timeout=self._settings.connect_timeout_seconds)
        except (OperationalError, OSError) as exc:
            raise BrokerUnreachable(f"cannot reach the Celery broker at {self.url}: {exc}") from exc

    async def enqueue(self, message: TaskMessage, *, delay_seconds: float = 0.0) -> None:
        await asyncio.get_running_loop().run_in_executor(self._senders, self.send, message, delay_seconds)

    def send(self, message: TaskMessage, delay_seconds: float = 0.0) -> None:
        priority = (REDIS_PRIORITY if self._redis else AMQP_PRIORITY)[message.priority]
        try:
            self.app.send_task(
                TASK_NAME, args=[message.model_dump(mode="json")], queue=self.queue, priority=priority,
                countdown=delay_seconds or None, task_id=f"{message.task_id}-{message.attempt}",
                retry=True, retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2})
        except (OperationalError, OSError) as exc:
            raise BrokerUnreachable(f"cannot send task {message.task_id} to the broker at {self.url}: {exc}") from exc

    async def cancel(self, task_id: str) -> None:
        """Nothing to do here: workers see the store's cancellation flag (queued tasks never start)."""

    def subscribe(self, listener: FinishedListener) -> None:
        """Tasks finish in worker processes; waiters poll the store instead."""

    async def stop(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._senders, self.app.close)
        self._senders.shutdown(wait=True)


def _make_app(settings: QueueSettings, queue: Queue) -> Any:
    app = Celery(f"kubegenie-{settings.name}", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_queues=[queue],
        task_default_queue=settings.name,
        task_default_exchange=settings.name,
        task_default_routing_key=settings.name,
        task_queue_max_priority=MAX_PRIORITY,
        task_default_priority=None,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=settings.connect_timeout_seconds,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_seconds,
            "priority_steps": sorted(set(REDIS_PRIORITY.values())),
            "queue_order_strategy": "priority",
            # Look for messages of dead workers often, and keep this deployment's bookkeeping apart.
            "unacked_restore_interval": max(1, int(settings.visibility_timeout_seconds // 4)),
            "unacked_restore_throttle": 1,
            "unacked_key": f"{settings.name}.unacked",
            "unacked_index_key": f"{settings.name}.unacked_index",
            "unacked_mutex_key": f"{settings.name}.unacked_mutex",
        },
        # Cancellation goes through the store, so workers need no broadcast channel.
        worker_enable_remote_control=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    return app


class _Wakeup(bootsteps.StartStopStep):  # type: ignore[misc]
    """Wakes the worker's event loop every second. Celery notices a shutdown signal only when its loop wakes,
    and with nothing else scheduled (RabbitMQ) it sleeps up to 10 s: SIGTERM would take that long."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, consumer: Any) -> None:
        self.timer = consumer.timer.call_repeatedly(1.0, _nothing)

    def stop(self, consumer: Any) -> None:  # noqa: ARG002 - the bootstep signature
        self.timer.cancel()


def _nothing() -> None:
    """The wake-up itself is the point."""


class _LoopThread:
    """One event loop per worker process, on its own thread: agents and their cached clients live there,
    while Celery's pool threads only hand messages over and wait."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="kubegenie-agents", daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> None:
        self._thread.start()

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, self.loop)

    def stop(self) -> None:
        async def cancel_all() -> None:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.call(cancel_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


def default_hostname() -> str:
    return f"kubegenie-{os.getpid()}@{socket.gethostname()}"


Background = Callable[[CeleryQueue], Coroutine[Any, Any, None]]


def run_worker(queue_settings: QueueSettings, task_settings: TaskSettings, *, registry: AgentRegistry, store: Store,
               context_factory: ContextFactory = plain_context, metrics: RuntimeMetrics | None = None,
               concurrency: int | None = None, hostname: str | None = None, loglevel: str = "WARNING",
               background: Sequence[Background] = (), on_ready: Callable[[], None] | None = None,
               agent_limits: Mapping[str, int] | None = None) -> int:
    """Serve tasks from the broker until stopped (SIGTERM finishes running tasks first); returns the exit code.

    `background` coroutines (scan scheduling, metrics upkeep) run on the worker's event loop beside the agents.
    """
    queue = CeleryQueue(queue_settings)
    queue.check_broker()
    hostname = hostname or default_hostname()
    metrics = metrics or RuntimeMetrics()
    loop = _LoopThread()
    limits = ConcurrencyLimits(agent_default=task_settings.agent_concurrency,
                               per_agent=agent_limits or task_settings.concurrency,
                               per_cluster=task_settings.cluster_concurrency)
    executor = Executor(registry, store, task_settings, worker=hostname, context_factory=context_factory,
                        metrics=metrics, limits=limits)

    def handle(payload: Any) -> None:
        try:
            message = TaskMessage.model_validate(payload)
        except ValidationError as exc:
            _reject_malformed(store, payload, exc)
            return
        try:
            outcome = loop.call(executor.run(message))
        except ServiceUnavailable as exc:
            # The store is down: hand the message back for later instead of losing it.
            log.error("task %s put back: %s", message.task_id, exc.message)
            time.sleep(REQUEUE_PAUSE_SECONDS)
            raise Reject(exc.message, requeue=True) from exc
        if isinstance(outcome, Retry):
            queue.send(outcome.message, outcome.delay_seconds)

    queue.app.task(name=TASK_NAME, acks_late=True)(handle)
    queue.app.steps["consumer"].add(_Wakeup)
    loop.start()
    loop.spawn(executor.watch_cancellations())
    for work in background:
        loop.spawn(work(queue))
    if on_ready is not None:
        def ready(**_: Any) -> None:
            on_ready()

        worker_ready.connect(ready, weak=False)
    worker = queue.app.Worker(
        hostname=hostname, pool_cls="threads", concurrency=concurrency or queue_settings.workers,
        queues=[queue_settings.name], loglevel=loglevel, quiet=True, without_mingle=True, without_gossip=True,
        without_heartbeat=True, optimization="fair",
    )
    try:
        worker.start()
    finally:
        loop.stop()
    return int(worker.exitcode or 0)


def _reject_malformed(store: Store, payload: Any, error: ValidationError) -> None:
    task_id = payload.get("task_id") if isinstance(payload, dict) else None
    log.error("dropping a malformed task message (task %s): %s", task_id, error)
    if isinstance(task_id, str):
        store.tasks.finish(task_id, TaskState.FAILED, error=TaskError(
            "invalid_message", f"the task message could not be read: {error.error_count()} problems",
            "Run the same KubeGenie version on the submitting side and on every worker."))
