"""Periodic scan runs and their stored results, so later questions can compare now with then.

A run is claimed for one (scan, cluster, time slot) before it starts; the unique key makes a second
scheduler (another replica, or a restart within the same slot) skip it instead of scanning twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update

from kubegenie.store.database import Database
from kubegenie.store.models import SCAN_RUNS
from kubegenie.store.records import JsonObject, ScanRunRecord, TaskState
from kubegenie.store.tasks import Clock, utcnow


class ScanRepository:
    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    def claim(self, scan: str, cluster: str | None, slot: int, *, at: datetime | None = None) -> int | None:
        """Reserve this slot's run (started `at`, by the scheduler's clock); its id, or None when taken."""
        statement = (self._db.insert(SCAN_RUNS)
                     .values(scan=scan, cluster=cluster or "", slot=slot, task_id=None,
                             state=TaskState.QUEUED.value, status=None, summary="", result=None,
                             started_at=at or self._clock(), finished_at=None)
                     .on_conflict_do_nothing(index_elements=["scan", "cluster", "slot"])
                     .returning(SCAN_RUNS.c.id))
        with self._db.begin() as conn:
            return conn.execute(statement).scalar_one_or_none()

    def attach(self, run_id: int, task_id: str) -> None:
        with self._db.begin() as conn:
            conn.execute(update(SCAN_RUNS).where(SCAN_RUNS.c.id == run_id)
                         .values(task_id=task_id, state=TaskState.RUNNING.value))

    def finish(self, run_id: int, state: TaskState, *, status: str | None = None, summary: str = "",
               result: JsonObject | None = None) -> None:
        with self._db.begin() as conn:
            conn.execute(update(SCAN_RUNS).where(SCAN_RUNS.c.id == run_id)
                         .values(state=state.value, status=status, summary=summary, result=result,
                                 finished_at=self._clock()))

    def latest(self, scan: str, cluster: str | None = None, *, before: datetime | None = None,
               succeeded_only: bool = True) -> ScanRunRecord | None:
        """The newest run, or the newest that started before `before` ("what did it look like yesterday?")."""
        statement = self._query(scan, cluster, succeeded_only).order_by(SCAN_RUNS.c.started_at.desc()).limit(1)
        if before is not None:
            statement = statement.where(SCAN_RUNS.c.started_at < before)
        with self._db.read() as conn:
            row = conn.execute(statement).first()
        return _run(row) if row is not None else None

    def history(self, scan: str, cluster: str | None = None, *, since: datetime | None = None,
                limit: int = 100, succeeded_only: bool = False) -> list[ScanRunRecord]:
        """Runs oldest first, from `since` on."""
        statement = self._query(scan, cluster, succeeded_only).order_by(SCAN_RUNS.c.started_at.desc()).limit(limit)
        if since is not None:
            statement = statement.where(SCAN_RUNS.c.started_at >= since)
        with self._db.read() as conn:
            rows = list(conn.execute(statement))
        return [_run(row) for row in reversed(rows)]

    def unfinished(self) -> list[ScanRunRecord]:
        """Runs whose result was never stored (their scheduler stopped first), oldest first."""
        statement = (select(SCAN_RUNS).where(SCAN_RUNS.c.state.in_([TaskState.QUEUED.value, TaskState.RUNNING.value]))
                     .order_by(SCAN_RUNS.c.started_at))
        with self._db.read() as conn:
            return [_run(row) for row in conn.execute(statement)]

    def last_slot(self, scan: str, cluster: str | None = None) -> int | None:
        statement = (select(SCAN_RUNS.c.slot).where(SCAN_RUNS.c.scan == scan, SCAN_RUNS.c.cluster == (cluster or ""))
                     .order_by(SCAN_RUNS.c.slot.desc()).limit(1))
        with self._db.read() as conn:
            return conn.execute(statement).scalar_one_or_none()

    @staticmethod
    def _query(scan: str, cluster: str | None, succeeded_only: bool) -> Any:
        statement = select(SCAN_RUNS).where(SCAN_RUNS.c.scan == scan, SCAN_RUNS.c.cluster == (cluster or ""))
        if succeeded_only:
            statement = statement.where(SCAN_RUNS.c.state == TaskState.SUCCEEDED.value)
        return statement


def _run(row: Row[Any]) -> ScanRunRecord:
    return ScanRunRecord(id=row.id, scan=row.scan, cluster=row.cluster or None, slot=row.slot, task_id=row.task_id,
                         state=TaskState(row.state), status=row.status, summary=row.summary, result=row.result,
                         started_at=row.started_at, finished_at=row.finished_at)
