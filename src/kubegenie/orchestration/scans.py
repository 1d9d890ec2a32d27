"""Scheduled background scans: each schedule (health every 5 minutes, cost daily) runs once per time slot per
cluster as a background-priority task, and its result is stored, so "what changed since yesterday?" can be
answered later by comparing stored runs.

Slots are claimed in the store, so several schedulers (replicas, or a restart within one slot) never scan
twice; a schedule whose intent no installed agent serves is skipped, not failed every few minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Sequence

from kubegenie.domain.intents import REQUEST_MODELS, Intent
from kubegenie.errors import ConfigError, KubeGenieError
from kubegenie.orchestration.orchestrator import Orchestrator
from kubegenie.orchestration.task import Task
from kubegenie.settings import ScanSchedule
from kubegenie.store.records import Priority, TaskState
from kubegenie.store.tasks import Clock, utcnow

log = logging.getLogger(__name__)
SCHEDULER = "scheduler"


class ScanScheduler:
    def __init__(self, orchestrator: Orchestrator, schedules: Sequence[ScanSchedule],
                 clusters: Sequence[str | None] = (None,), *, clock: Clock = utcnow) -> None:
        for schedule in schedules:
            if schedule.intent not in Intent.__members__.values():
                raise ConfigError(f"scan '{schedule.name}' names unknown intent '{schedule.intent}'",
                                  f"Use one of: {', '.join(Intent)}.")
        self._orchestrator = orchestrator
        self._store = orchestrator.store
        self._schedules = list(schedules)
        self._clusters = list(clusters) or [None]
        self._clock = clock
        self._pending: set[asyncio.Task[None]] = set()
        self._skipped: set[str] = set()

    async def run_forever(self) -> None:
        """Start due scans, sleep until the next slot begins, repeat."""
        try:
            await self.resume()
            while True:
                try:
                    await self.tick()
                except KubeGenieError as exc:
                    log.error("scheduled scans could not start: %s", exc.message)
                await asyncio.sleep(self._until_next_slot())
        finally:
            await self.stop()

    async def tick(self) -> list[Task]:
        """Start every scan whose current slot has not run yet; returns the tasks started."""
        started = []
        now = self._clock()
        for schedule in self._schedules:
            intent = Intent(schedule.intent)
            if not self._orchestrator.can_serve(intent):
                if schedule.name not in self._skipped:
                    log.info("scan %s skipped: no installed agent answers %s", schedule.name, intent.value)
                    self._skipped.add(schedule.name)
                continue
            slot = math.floor(now.timestamp() / schedule.every_seconds)
            for cluster in self._clusters:
                run_id = await self._store.run(self._store.scans.claim, schedule.name, cluster, slot, at=now)
                if run_id is None:
                    continue
                request = REQUEST_MODELS[intent](cluster=cluster)
                task = await self._orchestrator.submit(request, priority=Priority.BACKGROUND, user=SCHEDULER)
                await self._store.run(self._store.scans.attach, run_id, task.id)
                started.append(task)
                self._follow(run_id, task.id)
        return started

    async def resume(self) -> int:
        """Store the results of runs a previous scheduler started but stopped before recording."""
        resumed = 0
        for run in await self._store.run(self._store.scans.unfinished):
            if run.task_id is None:
                await self._store.run(self._store.scans.finish, run.id, TaskState.FAILED,
                                      summary="the scheduler stopped before starting this scan")
            else:
                self._follow(run.id, run.task_id)
                resumed += 1
        return resumed

    async def drain(self) -> None:
        """Wait until every started scan has its result stored."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def stop(self) -> None:
        for follower in list(self._pending):
            follower.cancel()
        for follower in list(self._pending):
            with contextlib.suppress(asyncio.CancelledError):
                await follower

    def _follow(self, run_id: int, task_id: str) -> None:
        follower = asyncio.ensure_future(self._record(run_id, task_id))
        self._pending.add(follower)
        follower.add_done_callback(self._followed)

    def _followed(self, follower: asyncio.Task[None]) -> None:
        self._pending.discard(follower)
        if not follower.cancelled() and (error := follower.exception()) is not None:
            log.error("a scan result could not be stored: %s", error, exc_info=error)

    async def _record(self, run_id: int, task_id: str) -> None:
        task = await self._orchestrator.wait(task_id)
        result = task.result
        summary = _summary(task)
        await self._store.run(self._store.scans.finish, run_id, task.state,
                              status=result.status.value if result is not None else None, summary=summary,
                              result=result.model_dump(mode="json") if result is not None else None)

    def _until_next_slot(self) -> float:
        now = self._clock().timestamp()
        waits = [schedule.every_seconds - (now % schedule.every_seconds) for schedule in self._schedules]
        return max(0.05, min(waits, default=60.0))


def _summary(task: Task) -> str:
    if task.state is not TaskState.SUCCEEDED or task.result is None:
        return task.error.message if task.error is not None else task.state.value
    findings = task.result.findings
    if not findings:
        first_line = task.result.text.strip().splitlines()[0] if task.result.text.strip() else ""
        return first_line[:200] or "no findings"
    worst = max(findings, key=lambda finding: finding.severity.rank).severity
    return f"{len(findings)} finding{'s' if len(findings) != 1 else ''}, worst {worst.value}"

