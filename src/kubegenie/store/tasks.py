"""Tasks and their results in the database, and the lifecycle rules every process obeys when it changes them.

Each change is one conditional statement, so concurrent workers (or a worker and a redelivery of its message)
cannot both move a task: a task leaves `queued`/`running` exactly once, and records at most one result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, select, update

from kubegenie.errors import TaskNotFound
from kubegenie.store.database import Database
from kubegenie.store.models import RESULTS, TASKS, UtcDateTime
from kubegenie.store.records import (
    ACTIVE_STATES,
    AgentCounts,
    JsonObject,
    NewTask,
    Priority,
    ResultRecord,
    TaskError,
    TaskRecord,
    TaskState,
)

Clock = Callable[[], datetime]
_ACTIVE = [state.value for state in ACTIVE_STATES]
_FINISHED_RUNS = [TaskState.SUCCEEDED.value, TaskState.FAILED.value, TaskState.TIMED_OUT.value]
# Hot-path statements are built once: building them costs more than running them on SQLite.
_IS_ACTIVE = (TASKS.c.state == TaskState.QUEUED.value) | (TASKS.c.state == TaskState.RUNNING.value)
_CLAIM = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("b_id"), _IS_ACTIVE, TASKS.c.cancel_requested.is_(False),
           TASKS.c.attempts <= bindparam("b_attempt"))
    .values(state=TaskState.RUNNING.value, attempts=bindparam("b_attempt"), worker=bindparam("b_worker"),
            started_at=func.coalesce(TASKS.c.started_at, bindparam("b_now", type_=UtcDateTime())))
    .returning(*TASKS.c)
)
_FINISH = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("b_id"), _IS_ACTIVE)
    .values(state=bindparam("b_state"), finished_at=bindparam("b_now", type_=UtcDateTime()),
            error_code=bindparam("b_code"), error_message=bindparam("b_message"),
            remediation=bindparam("b_remediation"))
    .returning(*TASKS.c)
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class TaskRepository:
    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock
        # A redelivered task's second result is dropped by the unique task_id, not raised.
        self._insert_result = db.insert(RESULTS).on_conflict_do_nothing(index_elements=["task_id"])

    # -- creating ---------------------------------------------------------------------------------------------

    def create(self, task: NewTask) -> TaskRecord:
        return self.create_many([task])[0]

    def create_many(self, tasks: Sequence[NewTask]) -> list[TaskRecord]:
        """Queue new tasks (in one transaction) and return their records."""
        now = self._clock()
        rows = [_new_row(task, now) for task in tasks]
        with self._db.begin() as conn:
            conn.execute(_INSERT, rows)
        return [_task_from_values(row) for row in rows]

    def create_failed(self, task: NewTask, error: TaskError) -> TaskRecord:
        """Record a task that failed before it could be queued (unknown intent, invalid request, no agent)."""
        now = self._clock()
        row = _new_row(task, now) | {
            "state": TaskState.FAILED.value, "finished_at": now, "error_code": error.code,
            "error_message": error.message, "remediation": error.remediation,
        }
        with self._db.begin() as conn:
            conn.execute(TASKS.insert(), [row])
        return self.get(task.id)

    # -- lifecycle --------------------------------------------------------------------------------------------

    def claim(self, task_id: str, attempt: int, worker: str) -> TaskRecord | None:
        """Start (or, after a redelivery, take over) an attempt; None when it must not run.

        A task runs when it is queued or running (a running one whose worker died is redelivered), is not
        being cancelled, and no later attempt has begun.
        """
        parameters = {"b_id": task_id, "b_attempt": attempt, "b_worker": worker, "b_now": self._clock()}
        with self._db.begin() as conn:
            row = conn.execute(_CLAIM, parameters).first()
        return _task(row) if row is not None else None

    def finish(self, task_id: str, state: TaskState, *, worker: str | None = None, attempt: int | None = None,
               error: TaskError | None = None, status: str | None = None,
               payload: JsonObject | None = None) -> TaskRecord | None:
        """Move an unfinished task to a final state, with its result; None when it had already finished."""
        if not state.final:
            raise ValueError(f"{state} is not a final state")
        now = self._clock()
        parameters = {
            "b_id": task_id, "b_state": state.value, "b_now": now, "b_code": error.code if error else None,
            "b_message": error.message if error else None, "b_remediation": error.remediation if error else None,
        }
        result = None
        with self._db.begin() as conn:
            row = conn.execute(_FINISH, parameters).first()
            if row is None:
                return None
            if payload is not None:
                result = ResultRecord(task_id=task_id, status=status or "ok", payload=payload, attempt=attempt or 0,
                                      worker=worker, recorded_at=now)
                conn.execute(self._insert_result, [vars(result)])
        return _task(row, result)

    def requeue(self, task_id: str, error: TaskError) -> bool:
        """Put a running task back in the queue for another attempt, remembering why the last one failed."""
        with self._db.begin() as conn:
            return conn.execute(
                update(TASKS).where(TASKS.c.id == task_id, TASKS.c.state == TaskState.RUNNING.value,
                                    TASKS.c.cancel_requested.is_(False))
                .values(state=TaskState.QUEUED.value, error_code=error.code, error_message=error.message,
                        remediation=error.remediation)
            ).rowcount == 1

    def request_cancel(self, task_id: str) -> TaskRecord:
        """Cancel a queued task at once; flag a running one for its worker to stop. Final tasks stay as they are.

        The parts of a fanned-out task are cancelled with it.
        """
        now = self._clock()
        target = (TASKS.c.id == task_id) | (TASKS.c.parent_id == task_id)
        with self._db.begin() as conn:
            if conn.execute(select(TASKS.c.id).where(TASKS.c.id == task_id)).first() is None:
                raise TaskNotFound(f"no task with id '{task_id}'")
            conn.execute(update(TASKS).where(target, TASKS.c.state == TaskState.QUEUED.value)
                         .values(state=TaskState.CANCELLED.value, cancel_requested=True, finished_at=now))
            conn.execute(update(TASKS).where(target, TASKS.c.state == TaskState.RUNNING.value)
                         .values(cancel_requested=True))
        return self.get(task_id)

    def cancel_requested(self, task_ids: Collection[str]) -> set[str]:
        """Which of these running tasks someone asked to cancel."""
        if not task_ids:
            return set()
        with self._db.read() as conn:
            rows = conn.execute(select(TASKS.c.id).where(TASKS.c.id.in_(list(task_ids)),
                                                         TASKS.c.cancel_requested.is_(True)))
            return {row.id for row in rows}

    # -- reading ----------------------------------------------------------------------------------------------

    def finished_among(self, task_ids: Collection[str]) -> set[str]:
        """Which of these tasks are in a final state (one query for many waiters)."""
        ids = list(task_ids)
        finished: set[str] = set()
        with self._db.read() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(select(TASKS.c.id).where(TASKS.c.id.in_(ids[start:start + 500]),
                                                             TASKS.c.state.not_in(_ACTIVE)))
                finished.update(row.id for row in rows)
        return finished

    def get(self, task_id: str) -> TaskRecord:
        with self._db.read() as conn:
            row = conn.execute(_GET, {"b_id": task_id}).first()
        if row is None:
            raise TaskNotFound(f"no task with id '{task_id}'")
        return _task(row, _result_of_joined(row))

    def resolve(self, prefix: str) -> str:
        """The full id of the one task whose id starts with `prefix` (ids are long; people type a few chars)."""
        cleaned = prefix.strip().lower()
        if not cleaned or not all(c in "0123456789abcdef" for c in cleaned):
            raise TaskNotFound(f"'{prefix}' is not a task id (task ids are hexadecimal)")
        with self._db.read() as conn:
            ids = [row.id for row in conn.execute(
                select(TASKS.c.id).where(TASKS.c.id.like(f"{cleaned}%")).order_by(TASKS.c.id).limit(6))]
        if not ids:
            raise TaskNotFound(f"no task with id '{prefix}'")
        if len(ids) > 1 and cleaned not in ids:
            shown = ", ".join(ids[:5])
            raise TaskNotFound(f"'{prefix}' matches several tasks ({shown})", "Type more characters of the id.")
        return cleaned if cleaned in ids else ids[0]

    def find(self, *, states: Collection[TaskState] = (), agent: str | None = None, parent_id: str | None = None,
             limit: int = 50) -> list[TaskRecord]:
        """Newest first, with their results."""
        statement = _with_results().order_by(TASKS.c.created_at.desc(), TASKS.c.id).limit(limit)
        if states:
            statement = statement.where(TASKS.c.state.in_([state.value for state in states]))
        if agent is not None:
            statement = statement.where(TASKS.c.agent == agent)
        if parent_id is not None:
            statement = statement.where(TASKS.c.parent_id == parent_id)
        with self._db.read() as conn:
            return [_task(row, _result_of_joined(row)) for row in conn.execute(statement)]

    def children(self, parent_id: str) -> list[TaskRecord]:
        """The parts of a fanned-out task, with their results, oldest first."""
        statement = _with_results().where(TASKS.c.parent_id == parent_id).order_by(TASKS.c.created_at, TASKS.c.id)
        with self._db.read() as conn:
            return [_task(row, _result_of_joined(row)) for row in conn.execute(statement)]

    def unfinished(self, backend: str) -> list[TaskRecord]:
        """Tasks of a backend that were queued or running, oldest first: what a restart must pick up."""
        statement = (select(TASKS).where(TASKS.c.backend == backend, TASKS.c.state.in_(_ACTIVE))
                     .order_by(TASKS.c.priority, TASKS.c.created_at))
        with self._db.read() as conn:
            return [_task(row) for row in conn.execute(statement)]

    def queued_by_agent(self) -> dict[str, int]:
        """Queue depth per agent, seen from the database and so valid for every backend and process."""
        statement = (select(TASKS.c.agent, func.count()).where(TASKS.c.state == TaskState.QUEUED.value,
                                                               TASKS.c.agent.is_not(None))
                     .group_by(TASKS.c.agent))
        with self._db.read() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(statement)}

    def count(self, states: Collection[TaskState] = ()) -> int:
        statement = select(func.count()).select_from(TASKS)
        if states:
            statement = statement.where(TASKS.c.state.in_([state.value for state in states]))
        with self._db.read() as conn:
            return int(conn.execute(statement).scalar_one())

    def agent_counts(self, recent: int = 200) -> dict[str, AgentCounts]:
        """Per agent: tasks by state, and the run times of its `recent` latest finished tasks."""
        by_state = (select(TASKS.c.agent, TASKS.c.state, func.count()).where(TASKS.c.agent.is_not(None))
                    .group_by(TASKS.c.agent, TASKS.c.state))
        ranked = (select(TASKS.c.agent, TASKS.c.started_at, TASKS.c.finished_at,
                         func.row_number().over(partition_by=TASKS.c.agent,
                                                order_by=TASKS.c.finished_at.desc()).label("rank"))
                  .where(TASKS.c.agent.is_not(None), TASKS.c.state.in_(_FINISHED_RUNS),
                         TASKS.c.started_at.is_not(None), TASKS.c.finished_at.is_not(None))
                  .subquery())
        latest = (select(ranked.c.agent, ranked.c.started_at, ranked.c.finished_at)
                  .where(ranked.c.rank <= recent).order_by(ranked.c.agent, ranked.c.rank))
        states: dict[str, dict[str, int]] = defaultdict(dict)
        durations: dict[str, list[float]] = defaultdict(list)
        with self._db.read() as conn:
            for agent, state, count in conn.execute(by_state):
                states[agent][state] = count
            for row in conn.execute(latest):
                durations[row.agent].append((row.finished_at - row.started_at).total_seconds())
        return {
            agent: AgentCounts(
                queued=counts.get(TaskState.QUEUED.value, 0), running=counts.get(TaskState.RUNNING.value, 0),
                succeeded=counts.get(TaskState.SUCCEEDED.value, 0),
                failed=counts.get(TaskState.FAILED.value, 0) + counts.get(TaskState.TIMED_OUT.value, 0),
                cancelled=counts.get(TaskState.CANCELLED.value, 0), recent_durations=durations.get(agent, []),
            )
            for agent, counts in states.items()
        }

    def stale_parents(self) -> list[TaskRecord]:
        """Running tasks that fanned out to others: their merge must be finished by whoever restarts."""
        children = TASKS.alias("children")
        statement = (select(TASKS).where(TASKS.c.state == TaskState.RUNNING.value, TASKS.c.agent.is_(None),
                                         select(children.c.id).where(children.c.parent_id == TASKS.c.id).exists())
                     .order_by(TASKS.c.created_at))
        with self._db.read() as conn:
            return [_task(row) for row in conn.execute(statement)]


def _with_results() -> Select[Any]:
    return (select(TASKS, *[column.label(f"r_{column.name}") for column in RESULTS.c])
            .outerjoin(RESULTS, RESULTS.c.task_id == TASKS.c.id))


def _new_row(task: NewTask, now: datetime) -> dict[str, Any]:
    return {
        "id": task.id, "parent_id": task.parent_id, "intent": task.intent, "agent": task.agent,
        "state": TaskState.QUEUED.value, "priority": int(task.priority), "backend": task.backend,
        "request": task.request, "cluster": task.cluster, "requested_by": task.requested_by,
        "conversation_id": task.conversation_id, "timeout_seconds": task.timeout_seconds,
        "deadline": task.deadline, "read_only": task.read_only, "attempts": 0, "max_attempts": task.max_attempts,
        "cancel_requested": False, "worker": None, "error_code": None, "error_message": None,
        "remediation": None, "created_at": now, "started_at": None, "finished_at": None,
    }


def _task_from_values(values: dict[str, Any]) -> TaskRecord:
    return TaskRecord(
        id=values["id"], intent=values["intent"], agent=values["agent"], state=TaskState(values["state"]),
        priority=Priority(values["priority"]), backend=values["backend"], request=values["request"],
        parent_id=values["parent_id"], cluster=values["cluster"], requested_by=values["requested_by"],
        conversation_id=values["conversation_id"], timeout_seconds=values["timeout_seconds"],
        deadline=values["deadline"], read_only=values["read_only"], attempts=values["attempts"],
        max_attempts=values["max_attempts"], cancel_requested=values["cancel_requested"], worker=values["worker"],
        error=None, created_at=values["created_at"], started_at=values["started_at"],
        finished_at=values["finished_at"],
    )


def _task(row: Row[Any], result: Row[Any] | ResultRecord | None = None) -> TaskRecord:
    error = None
    if row.error_code is not None:
        error = TaskError(code=row.error_code, message=row.error_message or "", remediation=row.remediation or "")
    if isinstance(result, Row):
        result = ResultRecord(task_id=result.task_id, status=result.status, payload=result.payload,
                              attempt=result.attempt, worker=result.worker, recorded_at=result.recorded_at)
    return TaskRecord(
        id=row.id, intent=row.intent, agent=row.agent, state=TaskState(row.state), priority=Priority(row.priority),
        backend=row.backend, request=row.request, parent_id=row.parent_id, cluster=row.cluster,
        requested_by=row.requested_by, conversation_id=row.conversation_id, timeout_seconds=row.timeout_seconds,
        deadline=row.deadline, read_only=row.read_only, attempts=row.attempts, max_attempts=row.max_attempts,
        cancel_requested=row.cancel_requested, worker=row.worker, error=error, created_at=row.created_at,
        started_at=row.started_at, finished_at=row.finished_at, result=result,
    )


def _result_of_joined(row: Row[Any]) -> ResultRecord | None:
    if row.r_task_id is None:
        return None
    return ResultRecord(task_id=row.r_task_id, status=row.r_status, payload=row.r_payload, attempt=row.r_attempt,
                        worker=row.r_worker, recorded_at=row.r_recorded_at)


_INSERT = TASKS.insert()
_GET = _with_results().where(TASKS.c.id == bindparam("b_id"))
