"""The task lifecycle rules the store enforces for every process: one claim wins, a redelivered attempt takes
over, a stale attempt is refused, a task finishes once with at most one result, cancellation of queued and
running tasks, short id prefixes, and per-agent figures."""

from __future__ import annotations

import threading

import pytest

from kubegenie.errors import TaskNotFound
from kubegenie.store.records import NewTask, Priority, TaskError, TaskState
from kubegenie.store.store import Store


def new(task_id: str, *, agent: str = "script", parent: str | None = None) -> NewTask:
    return NewTask(id=task_id, intent="help", agent=agent, request={"intent": "help", "topic": "ok"},
                   backend="celery", priority=Priority.INTERACTIVE, parent_id=parent, cluster="prod",
                   requested_by="jane", conversation_id="c-1", timeout_seconds=5, max_attempts=3)


def test_lifecycle_with_one_result(store: Store) -> None:
    created = store.tasks.create(new("a" * 32))
    claimed = store.tasks.claim("a" * 32, 1, "worker-1")
    finished = store.tasks.finish("a" * 32, TaskState.SUCCEEDED, worker="worker-1", attempt=1, status="ok",
                                  payload={"status": "ok", "text": "fine"})
    again = store.tasks.finish("a" * 32, TaskState.FAILED, worker="worker-2", attempt=1,
                               error=TaskError("x", "late"), status="ok", payload={"text": "second"})
    read = store.tasks.get("a" * 32)

    assert created.state is TaskState.QUEUED and created.priority is Priority.INTERACTIVE
    assert claimed is not None and claimed.state is TaskState.RUNNING and claimed.worker == "worker-1"
    assert finished is not None and finished.state is TaskState.SUCCEEDED
    assert again is None  # already final: nothing changes
    assert read.state is TaskState.SUCCEEDED and read.error is None
    assert read.result is not None and read.result.payload == {"status": "ok", "text": "fine"}
    assert read.created_at <= read.started_at <= read.finished_at  # type: ignore[operator]
    assert read.created_at.tzinfo is not None
    assert (read.cluster, read.requested_by, read.conversation_id) == ("prod", "jane", "c-1")


def test_redelivery_takes_over_and_stale_attempts_are_refused(store: Store) -> None:
    store.tasks.create(new("b" * 32))
    assert store.tasks.claim("b" * 32, 1, "worker-1") is not None
    # worker-1 died; the same attempt is delivered to worker-2.
    takeover = store.tasks.claim("b" * 32, 1, "worker-2")
    assert takeover is not None and takeover.worker == "worker-2"
    assert store.tasks.requeue("b" * 32, TaskError("cluster_unreachable", "refused"))
    assert store.tasks.claim("b" * 32, 2, "worker-3") is not None
    # A late copy of attempt 1 must not run beside attempt 2.
    assert store.tasks.claim("b" * 32, 1, "worker-4") is None
    record = store.tasks.get("b" * 32)
    assert record.attempts == 2 and record.worker == "worker-3"
    assert record.error is not None and record.error.code == "cluster_unreachable"  # why attempt 1 failed


def test_concurrent_finishes_record_exactly_one_result(store: Store) -> None:
    store.tasks.create(new("c" * 32))
    store.tasks.claim("c" * 32, 1, "w")
    outcomes: list[bool] = []
    barrier = threading.Barrier(6)

    def finish(worker: int) -> None:
        barrier.wait()
        outcomes.append(store.tasks.finish("c" * 32, TaskState.SUCCEEDED, worker=f"w{worker}", attempt=1,
                                           payload={"by": worker}) is not None)

    threads = [threading.Thread(target=finish, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [False] * 5 + [True]
    result = store.tasks.get("c" * 32).result
    assert result is not None and result.worker == f"w{result.payload['by']}"


def test_cancelling_queued_running_and_finished_tasks(store: Store) -> None:
    for task_id in ("d" * 32, "e" * 32, "f" * 32):
        store.tasks.create(new(task_id))
    store.tasks.claim("e" * 32, 1, "w")
    store.tasks.claim("f" * 32, 1, "w")
    store.tasks.finish("f" * 32, TaskState.SUCCEEDED)

    queued = store.tasks.request_cancel("d" * 32)
    running = store.tasks.request_cancel("e" * 32)
    done = store.tasks.request_cancel("f" * 32)

    assert queued.state is TaskState.CANCELLED and queued.finished_at is not None
    assert running.state is TaskState.RUNNING and running.cancel_requested
    assert store.tasks.cancel_requested(["d" * 32, "e" * 32]) == {"d" * 32, "e" * 32}
    assert store.tasks.claim("e" * 32, 1, "w2") is None  # a redelivery does not restart it
    assert done.state is TaskState.SUCCEEDED
    with pytest.raises(TaskNotFound):
        store.tasks.request_cancel("0" * 32)


def test_cancelling_a_parent_cancels_its_parts(store: Store) -> None:
    store.tasks.create_many([new("1" * 32, agent="x"), new("2" * 32, parent="1" * 32), new("3" * 32, parent="1" * 32)])
    store.tasks.claim("1" * 32, 1, "orchestrator")
    store.tasks.claim("3" * 32, 1, "w")

    store.tasks.request_cancel("1" * 32)

    parts = {part.id: part for part in store.tasks.children("1" * 32)}
    assert parts["2" * 32].state is TaskState.CANCELLED
    assert parts["3" * 32].cancel_requested


def test_ids_resolve_from_a_unique_prefix(store: Store) -> None:
    store.tasks.create(new("abc1" + "0" * 28))
    store.tasks.create(new("abc2" + "0" * 28))

    assert store.tasks.resolve("ABC1") == "abc1" + "0" * 28
    with pytest.raises(TaskNotFound, match="'abc' matches several tasks"):
        store.tasks.resolve("abc")
    with pytest.raises(TaskNotFound, match="no task with id 'ffff'"):
        store.tasks.resolve("ffff")
    with pytest.raises(TaskNotFound, match="is not a task id"):
        store.tasks.resolve("../etc")


def test_listing_and_agent_figures(store: Store) -> None:
    store.tasks.create_many([new(f"{n:032x}", agent="script" if n < 4 else "cost") for n in range(6)])
    for n, state in [(0, TaskState.SUCCEEDED), (1, TaskState.FAILED), (2, TaskState.TIMED_OUT)]:
        store.tasks.claim(f"{n:032x}", 1, "w")
        store.tasks.finish(f"{n:032x}", state)
    store.tasks.claim(f"{3:032x}", 1, "w")

    counts = store.tasks.agent_counts()
    failed = store.tasks.find(states=[TaskState.FAILED, TaskState.TIMED_OUT])

    assert (counts["script"].succeeded, counts["script"].failed, counts["script"].running) == (1, 2, 1)
    assert len(counts["script"].recent_durations) == 3
    assert counts["cost"].queued == 2
    assert store.tasks.queued_by_agent() == {"cost": 2}
    assert {task.id for task in failed} == {f"{1:032x}", f"{2:032x}"}
    assert len(store.tasks.find(agent="cost")) == 2
    assert store.tasks.finished_among([f"{n:032x}" for n in range(6)]) == {f"{n:032x}" for n in range(3)}
