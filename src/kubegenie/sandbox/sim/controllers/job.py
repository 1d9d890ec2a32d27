"""The Job controller: runs pods until `completions` succeed with at most `parallelism` at once, counts
finished pods through the job-tracking finalizer, waits 10 s doubling to 6 minutes after each failure,
fails the Job past `backoffLimit` (BackoffLimitExceeded) or `activeDeadlineSeconds` (DeadlineExceeded),
suspends and resumes, supports Indexed completion, and deletes finished Jobs after ttlSecondsAfterFinished.
"""

from __future__ import annotations

from kubegenie.sandbox import status as api_status
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.controllers.workload import controlled_pods, deletion_rank, owner_keys, pod_from_template
from kubegenie.sandbox.sim.kube import Key, pod_ready, pod_terminal, seconds, set_condition
from kubegenie.sandbox.store import Change, Obj

TRACKING = "batch.kubernetes.io/job-tracking"
INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
INDEX_LABEL = "batch.kubernetes.io/job-completion-index"
BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 360.0
BACKOFF_EXCEEDED = "Job has reached the specified backoff limit"
DEADLINE_EXCEEDED = "Job was active longer than specified deadline"
COMPLETIONS_REACHED = "Reached expected number of succeeded pods"


def finished(job: Obj) -> str | None:
    """"Complete" or "Failed" once the Job has finished."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return str(cond["type"])
    return None


def _indexes(values: set[int]) -> str:
    """Compressed interval format of completedIndexes ("0-2,5")."""
    parts, ordered = [], sorted(values)
    start = previous = None
    for value in ordered:
        if start is None:
            start = previous = value
        elif value == previous + 1:  # type: ignore[operator]
            previous = value
        else:
            parts.append(f"{start}-{previous}" if start != previous else str(start))
            start = previous = value
    if start is not None:
        parts.append(f"{start}-{previous}" if start != previous else str(start))
    return ",".join(parts)


class JobController(Controller):
    name = "job-controller"
    primary = "batch/jobs"
    watches = ("batch/jobs", "pods")

    def on_change(self, change: Change) -> None:
        if change.key == self.primary:
            super().on_change(change)
            return
        for key in owner_keys(change, "Job"):
            self.enqueue(key)

    def reconcile(self, key: Key) -> None:
        job = self.get(key)
        if job is None:
            self._release_orphans(key)
            return
        pods = controlled_pods(self, job)
        if job["metadata"].get("deletionTimestamp"):
            for pod in pods:
                self._untrack(pod)
            return
        status = dict(job.get("status") or {})
        counted = self._count(job, pods, status)
        done = finished(job)
        if done:
            self._after_finish(job, pods, status, counted)
            return
        spec = job.get("spec") or {}
        now = self.now()
        conditions = list(status.get("conditions") or [])
        if spec.get("suspend"):
            for pod in pods:
                if not pod_terminal(pod):
                    self._delete(job, pod)
            if not any(c.get("type") == "Suspended" and c.get("status") == "True" for c in conditions):
                conditions = set_condition(conditions, "Suspended", "True", "JobSuspended", "Job suspended",
                                           self.stamp(), {"lastProbeTime": self.stamp()})
                self.event(job, "Normal", "Suspended", "Job suspended")
            status["conditions"] = conditions
            status.pop("startTime", None)
            self._write(job, status, pods)
            return
        if any(c.get("type") == "Suspended" and c.get("status") == "True" for c in conditions):
            conditions = set_condition(conditions, "Suspended", "False", "JobResumed", "Job resumed", self.stamp(),
                                       {"lastProbeTime": self.stamp()})
            self.event(job, "Normal", "Resumed", "Job resumed")
        status["conditions"] = conditions
        status.setdefault("startTime", self.stamp())
        failure = self._failure(job, pods, status, now)
        if failure is not None:
            reason, message = failure
            self._finish(job, status, pods, "Failed", reason, message)
            return
        succeeded = int(status.get("succeeded") or 0)
        completions = spec.get("completions")
        active = [pod for pod in pods if not pod_terminal(pod) and not pod["metadata"].get("deletionTimestamp")]
        if (completions is not None and succeeded >= int(completions)) or \
                (completions is None and succeeded > 0 and not active):
            self._finish(job, status, pods, "Complete", "CompletionsReached", COMPLETIONS_REACHED)
            return
        self._manage(job, spec, pods, active, status, now)
        self._write(job, status, pods)
        deadline = spec.get("activeDeadlineSeconds")
        started = seconds(status.get("startTime"))
        if deadline is not None and started is not None:
            self.enqueue_at(key, started + float(deadline))

    # --- counting ------------------------------------------------------------------------------------------

    def _count(self, job: Obj, pods: list[Obj], status: Obj) -> bool:
        """Move finished pods that still carry the tracking finalizer into the status counters."""
        counted = False
        indexed = (job.get("spec") or {}).get("completionMode") == "Indexed"
        completed = _parse_indexes(str(status.get("completedIndexes") or ""))
        for pod in pods:
            if TRACKING not in (pod["metadata"].get("finalizers") or []):
                continue
            phase = (pod.get("status") or {}).get("phase")
            deleting = bool(pod["metadata"].get("deletionTimestamp"))
            if phase == "Succeeded":
                status["succeeded"] = int(status.get("succeeded") or 0) + 1
                if indexed:
                    index = (pod["metadata"].get("annotations") or {}).get(INDEX_ANNOTATION)
                    if index is not None and index.isdigit():
                        completed.add(int(index))
            elif phase == "Failed" or deleting:
                status["failed"] = int(status.get("failed") or 0) + 1
            else:
                continue
            counted = True
            self._untrack(pod)
        if indexed and completed:
            status["completedIndexes"] = _indexes(completed)
        return counted

    def _release_orphans(self, key: Key) -> None:
        """Pods of a deleted Job lose the tracking finalizer so their own deletion can finish."""
        for pod in list(self.store.iter("pods", key[0])):
            ref = next((r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")), None)
            if ref is not None and ref.get("kind") == "Job" and ref.get("name") == key[1]:
                self._untrack(pod)

    def _untrack(self, pod: Obj) -> None:
        finalizers = [f for f in pod["metadata"].get("finalizers") or [] if f != TRACKING]
        if finalizers != (pod["metadata"].get("finalizers") or []):
            current = self.store.get("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
            if current is not None and current["metadata"]["uid"] == pod["metadata"]["uid"]:
                self.writer.update("pods", {**current, "metadata": {**current["metadata"], "finalizers": finalizers}})

    def _failure(self, job: Obj, pods: list[Obj], status: Obj, now: float) -> tuple[str, str] | None:
        spec = job.get("spec") or {}
        backoff_limit = spec.get("backoffLimit")
        limit = int(backoff_limit) if backoff_limit is not None else 6
        failed = int(status.get("failed") or 0)
        if (spec.get("template") or {}).get("spec", {}).get("restartPolicy") == "OnFailure":
            failed += sum(int(c.get("restartCount") or 0) for pod in pods if not pod_terminal(pod)
                          for c in (pod.get("status") or {}).get("containerStatuses") or [])
        if failed > limit:
            return "BackoffLimitExceeded", BACKOFF_EXCEEDED
        deadline = spec.get("activeDeadlineSeconds")
        started = seconds(status.get("startTime"))
        if deadline is not None and started is not None and now >= started + float(deadline):
            return "DeadlineExceeded", DEADLINE_EXCEEDED
        return None

    # --- pods ----------------------------------------------------------------------------------------------

    def _manage(self, job: Obj, spec: Obj, pods: list[Obj], active: list[Obj], status: Obj, now: float) -> None:
        declared = spec.get("parallelism")
        parallelism = int(declared) if declared is not None else 1
        completions = spec.get("completions")
        succeeded = int(status.get("succeeded") or 0)
        wanted = parallelism if completions is None else min(parallelism, int(completions) - succeeded)
        if len(active) > wanted:
            for pod in sorted(active, key=deletion_rank)[:len(active) - wanted]:
                self._delete(job, pod)
            return
        missing = wanted - len(active)
        if missing <= 0:
            return
        failed = int(status.get("failed") or 0)
        if failed:
            last = max((seconds(((c.get("state") or {}).get("terminated") or {}).get("finishedAt")) or 0.0
                        for pod in pods if (pod.get("status") or {}).get("phase") == "Failed"
                        for c in (pod.get("status") or {}).get("containerStatuses") or []), default=0.0)
            ready_at = (last or now) + min(BACKOFF_MAX, BACKOFF_INITIAL * 2 ** (failed - 1))
            if last and ready_at > now:
                self.enqueue_at((job["metadata"]["namespace"], job["metadata"]["name"]), ready_at)
                return
        indexes = self._free_indexes(spec, active, status, missing)
        for index in indexes:
            self._create(job, spec, index)

    def _free_indexes(self, spec: Obj, active: list[Obj], status: Obj, missing: int) -> list[int | None]:
        if spec.get("completionMode") != "Indexed":
            return [None] * missing
        taken = _parse_indexes(str(status.get("completedIndexes") or ""))
        for pod in active:
            index = (pod["metadata"].get("annotations") or {}).get(INDEX_ANNOTATION)
            if index is not None and index.isdigit():
                taken.add(int(index))
        free = [i for i in range(int(spec.get("completions") or 0)) if i not in taken]
        return list(free[:missing])

    def _create(self, job: Obj, spec: Obj, index: int | None) -> None:
        name = job["metadata"]["name"]
        body = pod_from_template(job, spec.get("template") or {}, generate_name=f"{name}-"
                                 if index is None else f"{name}-{index}-")
        body["metadata"]["finalizers"] = [*body["metadata"].get("finalizers", []), TRACKING]
        if index is not None:
            body["metadata"].setdefault("annotations", {})[INDEX_ANNOTATION] = str(index)
            body["metadata"].setdefault("labels", {})[INDEX_LABEL] = str(index)
            body["spec"]["hostname"] = f"{name}-{index}"
        try:
            pod = self.writer.create("pods", job["metadata"]["namespace"], body)
        except api_status.ApiError as exc:
            self.event(job, "Warning", "FailedCreate", f"Error creating: {exc.message}")
            self.enqueue_after((job["metadata"]["namespace"], name), BACKOFF_INITIAL)
            return
        self.event(job, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

    def _delete(self, job: Obj, pod: Obj) -> None:
        self._untrack(pod)
        if self.writer.delete("pods", pod):
            self.event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")

    # --- finishing -----------------------------------------------------------------------------------------

    def _finish(self, job: Obj, status: Obj, pods: list[Obj], kind: str, reason: str, message: str) -> None:
        stamp = self.stamp()
        conditions = list(status.get("conditions") or [])
        extra = {"lastProbeTime": stamp}
        modern = self.cluster.version.minor >= 31
        if kind == "Failed":
            if modern:
                conditions = set_condition(conditions, "FailureTarget", "True", reason, message, stamp, extra)
            conditions = set_condition(conditions, "Failed", "True", reason, message, stamp, extra)
            self.event(job, "Warning", reason, message)
        else:
            if modern:
                conditions = set_condition(conditions, "SuccessCriteriaMet", "True", reason, message, stamp, extra)
                conditions = set_condition(conditions, "Complete", "True", reason, message, stamp, extra)
            else:
                conditions = set_condition(conditions, "Complete", "True", None, None, stamp, extra)
            status["completionTime"] = stamp
            self.event(job, "Normal", "Completed", "Job completed")
        status["conditions"] = conditions
        for pod in pods:
            if not pod_terminal(pod) and not pod["metadata"].get("deletionTimestamp"):
                self._delete(job, pod)
        self._write(job, status, [])
        self._schedule_ttl(job, stamp)

    def _after_finish(self, job: Obj, pods: list[Obj], status: Obj, counted: bool) -> None:
        for pod in pods:
            if not pod_terminal(pod) and not pod["metadata"].get("deletionTimestamp"):
                self._delete(job, pod)
        if counted:
            self._write(job, status, pods)
        for cond in status.get("conditions") or []:
            if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
                self._schedule_ttl(job, cond.get("lastTransitionTime"))

    def _schedule_ttl(self, job: Obj, finished_at: str | None) -> None:
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        done_at = seconds(finished_at)
        if ttl is None or done_at is None:
            return
        if self.now() >= done_at + float(ttl):
            current = self.get((job["metadata"]["namespace"], job["metadata"]["name"]))
            if current is not None:
                self.writer.delete(self.primary, current, propagation="Background")
            return
        self.enqueue_at((job["metadata"]["namespace"], job["metadata"]["name"]), done_at + float(ttl))

    def _write(self, job: Obj, status: Obj, pods: list[Obj]) -> None:
        active = [pod for pod in pods if not pod_terminal(pod) and not pod["metadata"].get("deletionTimestamp")]
        if active:
            status["active"] = len(active)
        else:
            status.pop("active", None)
        status["ready"] = sum(1 for pod in active if pod_ready(pod))
        status["terminating"] = sum(1 for pod in pods if pod["metadata"].get("deletionTimestamp")
                                    and not pod_terminal(pod))
        status["uncountedTerminatedPods"] = {}
        for field in ("succeeded", "failed"):
            if not status.get(field):
                status.pop(field, None)
        current = self.get((job["metadata"]["namespace"], job["metadata"]["name"])) or job
        if status != (current.get("status") or {}):
            self.writer.update_status(self.primary, {**current, "status": status})


def _parse_indexes(text: str) -> set[int]:
    values: set[int] = set()
    for part in (p for p in text.split(",") if p):
        low, _, high = part.partition("-")
        if low.isdigit():
            values.update(range(int(low), int(high or low) + 1))
    return values
