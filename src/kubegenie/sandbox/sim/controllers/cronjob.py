"""The CronJob controller: creates a Job (`<name>-<minutes since epoch>`) at each scheduled time of its
cron schedule and time zone, honours suspend, concurrencyPolicy and startingDeadlineSeconds, keeps the
successful/failed job history limits, tracks active jobs and lastScheduleTime/lastSuccessfulTime, and
reports an unparseable schedule or unknown time zone with the upstream warning event and no Jobs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.controllers.job import finished
from kubegenie.sandbox.sim.cron import CronError, Schedule, parse_standard
from kubegenie.sandbox.sim.kube import Key, controlled_by, copy, object_ref, owner_ref, seconds, timestamp
from kubegenie.sandbox.store import Change, Obj

MAX_MISSED = 100
COUNT_LIMIT = 100_000
SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"


class CronJobController(Controller):
    name = "cronjob-controller"
    primary = "batch/cronjobs"
    watches = ("batch/cronjobs", "batch/jobs")

    def on_change(self, change: Change) -> None:
        if change.key == self.primary:
            old = change.old
            # The controller's own status writes need no second look.
            if old is None or old.get("spec") != change.obj.get("spec") or change.type != "MODIFIED":
                super().on_change(change)
            return
        for obj in (change.obj, change.old):
            ref = next((r for r in (obj or {}).get("metadata", {}).get("ownerReferences") or []
                        if r.get("controller") and r.get("kind") == "CronJob"), None)
            if ref is not None and obj is not None:
                self.enqueue((obj["metadata"]["namespace"], str(ref["name"])))

    def reconcile(self, key: Key) -> None:
        cj = self.get(key)
        if cj is None:
            return
        spec = cj.get("spec") or {}
        status = dict(cj.get("status") or {})
        jobs = [job for job in self.store.iter("batch/jobs", key[0]) if controlled_by(job, cj)]
        self._track(cj, jobs, status)
        self._cleanup(cj, jobs)
        if cj["metadata"].get("deletionTimestamp"):
            self._write(cj, status)
            return
        zone_name = spec.get("timeZone")
        if zone_name:
            try:
                ZoneInfo(zone_name)
            except (ZoneInfoNotFoundError, ValueError):
                self.event(cj, "Warning", "UnknownTimeZone", f'invalid timeZone: "{zone_name}": unknown time zone '
                           f"{zone_name}")
                self._write(cj, status)
                return
        if spec.get("suspend"):
            self._write(cj, status)
            return
        schedule_text = str(spec.get("schedule") or "")
        if "TZ" in schedule_text:
            self.event(cj, "Warning", "UnsupportedSchedule", f'CRON_TZ or TZ used in schedule "{schedule_text}" is not '
                       f"officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/"
                       f" for more details")
        try:
            schedule = parse_standard(schedule_text if not zone_name or "TZ" in schedule_text
                                      else f"TZ={zone_name} {schedule_text}")
        except CronError as exc:
            self.event(cj, "Warning", "UnparseableSchedule", f'unparseable schedule: "{schedule_text}" : {exc}')
            self._write(cj, status)
            return
        now = datetime.fromtimestamp(self.now(), UTC)
        scheduled = self._due_time(cj, schedule, status, now)
        if scheduled is not None:
            self._start(cj, spec, jobs, status, scheduled, now)
        self._write(cj, status)
        upcoming = schedule.next_after(now)
        self.enqueue_at(key, upcoming.timestamp() + 0.001)

    # --- schedule ------------------------------------------------------------------------------------------

    def _due_time(self, cj: Obj, schedule: Schedule, status: Obj, now: datetime) -> datetime | None:
        """The most recent unmet schedule time, as nextScheduleTime computes it."""
        since = seconds(status.get("lastScheduleTime")) or seconds(cj["metadata"].get("creationTimestamp"))
        if since is None:
            return None
        deadline = (cj.get("spec") or {}).get("startingDeadlineSeconds")
        if deadline is not None:
            since = max(since, now.timestamp() - float(deadline))
        moment = datetime.fromtimestamp(since, UTC)
        latest: datetime | None = None
        missed = 0
        while missed < COUNT_LIMIT:
            moment = schedule.next_after(moment)
            if moment > now:
                break
            latest = moment
            missed += 1
        if missed > MAX_MISSED:
            self.event(cj, "Warning", "TooManyMissedTimes", f"too many missed start times: {missed}. Set or decrease "
                       f".spec.startingDeadlineSeconds or check clock skew")
        return latest

    def _start(self, cj: Obj, spec: Obj, jobs: list[Obj], status: Obj, scheduled: datetime, now: datetime) -> None:
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and scheduled.timestamp() + float(deadline) < now.timestamp():
            self.event(cj, "Warning", "MissSchedule", f"Missed scheduled time to start a job: "
                       f"{scheduled.strftime('%a, %d %b %Y %H:%M:%S +0000')}")
            return
        name = f"{cj['metadata']['name']}-{int(scheduled.timestamp() // 60)}"
        if any(job["metadata"]["name"] == name for job in jobs):
            return
        active = status.get("active") or []
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and active:
            self.event(cj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and "
                       "concurrency policy is Forbid")
            return
        if policy == "Replace":
            for ref in active:
                job = self.store.get("batch/jobs", cj["metadata"]["namespace"], ref.get("name", ""))
                if job is not None and self.writer.delete("batch/jobs", job, propagation="Background"):
                    self.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {job['metadata']['name']}")
            status["active"] = []
        template = copy(spec.get("jobTemplate") or {})
        meta = template.get("metadata") or {}
        annotations = dict(meta.get("annotations") or {})
        if self.cluster.version.minor >= 28:
            annotations[SCHEDULED_ANNOTATION] = scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")
        body: Obj = {"apiVersion": "batch/v1", "kind": "Job",
                     "metadata": {"name": name, "labels": dict(meta.get("labels") or {}), "annotations": annotations,
                                  "ownerReferences": [owner_ref(cj)]},
                     "spec": template.get("spec") or {}}
        job = self.writer.create("batch/jobs", cj["metadata"]["namespace"], body)
        self.event(cj, "Normal", "SuccessfulCreate", f"Created job {name}")
        ref = object_ref(job)
        status["active"] = [*(status.get("active") or []), ref]
        status["lastScheduleTime"] = timestamp(scheduled.timestamp())

    # --- history -------------------------------------------------------------------------------------------

    def _track(self, cj: Obj, jobs: list[Obj], status: Obj) -> None:
        by_uid = {job["metadata"]["uid"]: job for job in jobs}
        active = []
        for ref in status.get("active") or []:
            job = by_uid.get(ref.get("uid"))
            if job is None:
                self.event(cj, "Normal", "MissingJob", f"Active job went missing: {ref.get('name')}")
                continue
            outcome = finished(job)
            if outcome is None:
                active.append(ref)
                continue
            self.event(cj, "Normal", "SawCompletedJob", f"Saw completed job: {job['metadata']['name']}, status: "
                       f"{outcome}")
            if outcome == "Complete":
                done = (job.get("status") or {}).get("completionTime")
                last = status.get("lastSuccessfulTime")
                if done and (not last or done > last):
                    status["lastSuccessfulTime"] = done
        known = {ref.get("uid") for ref in status.get("active") or []}
        for job in jobs:
            if finished(job) is None and job["metadata"]["uid"] not in known:
                self.event(cj, "Warning", "UnexpectedJob", f"Saw a job that the controller did not create or "
                           f"forgot: {job['metadata']['name']}")
        if active:
            status["active"] = active
        else:
            status.pop("active", None)

    def _cleanup(self, cj: Obj, jobs: list[Obj]) -> None:
        spec = cj.get("spec") or {}
        for outcome, field, default in (("Complete", "successfulJobsHistoryLimit", 3),
                                        ("Failed", "failedJobsHistoryLimit", 1)):
            limit = spec.get(field, default)
            if limit is None:
                continue
            done = sorted((job for job in jobs if finished(job) == outcome and not job["metadata"].get(
                "deletionTimestamp")), key=lambda job: (job.get("status") or {}).get("startTime") or "")
            for job in done[:max(0, len(done) - int(limit))]:
                if self.writer.delete("batch/jobs", job, propagation="Background"):
                    self.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {job['metadata']['name']}")

    def _write(self, cj: Obj, status: Obj) -> None:
        current = self.get((cj["metadata"]["namespace"], cj["metadata"]["name"])) or cj
        if status != (current.get("status") or {}):
            self.writer.update_status(self.primary, {**current, "status": status})
