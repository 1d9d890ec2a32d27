"""Printers for batch/v1 Jobs (Status, Completions, Duration) and CronJobs (Schedule, Timezone, Suspend,
Active, Last Schedule), with the columns each apiserver version prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubegenie.domain.durations import human_duration, parse_rfc3339
from kubegenie.sandbox.printers.cells import NONE, bool_text, pod_template_containers, selector_text
from kubegenie.sandbox.printers.table import AGE, NAME, Column, Printer, age, register, since
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

_CONTAINERS = Column("Containers", priority=1, description="Names of each container in the template.")
_IMAGES = Column("Images", priority=1, description="Images referenced by each container in the template.")
_SELECTOR = Column("Selector", priority=1, description="A label query over pods that should match the pod "
                                                       "count.")


def _condition_true(status: Obj, condition_type: str) -> bool:
    for condition in status.get("conditions") or []:
        if condition.get("type") == condition_type:
            return bool(condition.get("status") == "True")
    return False


def job_status(job: Obj) -> str:
    status = job.get("status") or {}
    if _condition_true(status, "Complete"):
        return "Complete"
    if _condition_true(status, "Failed"):
        return "Failed"
    if (job.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    if _condition_true(status, "Suspended"):
        return "Suspended"
    if _condition_true(status, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _completions(spec: Obj, status: Obj) -> str:
    succeeded = int(status.get("succeeded") or 0)
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = int(spec.get("parallelism") or 0)
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _duration(cluster: Cluster, status: Obj) -> str:
    start = status.get("startTime")
    if not start:
        return ""
    started = parse_rfc3339(start).timestamp()
    completed = status.get("completionTime")
    end = parse_rfc3339(completed).timestamp() if completed else cluster.clock.time()
    return human_duration(end - started)


def _job(cluster: Cluster, obj: Obj) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = pod_template_containers(spec.get("template"))
    return [obj["metadata"]["name"], job_status(obj), _completions(spec, status), _duration(cluster, status),
            age(cluster, obj), names, images, selector_text(spec.get("selector"))]


register("batch/jobs")(Printer([
    NAME,
    Column("Status", description="Status of the job.", since=30),
    Column("Completions", description="The number of pods which reached phase Succeeded."),
    Column("Duration", description="Time required to complete the job."),
    AGE, _CONTAINERS, _IMAGES, _SELECTOR,
], _job))


def _cron_job(cluster: Cluster, obj: Obj) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = pod_template_containers(job_spec.get("template"))
    last = status.get("lastScheduleTime")
    return [obj["metadata"]["name"], spec.get("schedule", ""), spec.get("timeZone") or NONE,
            bool_text(spec.get("suspend")), len(status.get("active") or []),
            since(cluster, last) if last else NONE, age(cluster, obj), names, images,
            selector_text(job_spec.get("selector"))]


register("batch/cronjobs")(Printer([
    NAME,
    Column("Schedule", description="The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
    Column("Timezone", description="The time zone name for the given schedule, see "
                                   "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.", since=30),
    Column("Suspend", type="boolean", description="This flag tells the controller to suspend subsequent "
                                                  "executions, it does not apply to already started executions."),
    Column("Active", type="integer", description="A list of pointers to currently running jobs."),
    Column("Last Schedule", description="Information when was the last time the job was successfully "
                                        "scheduled."),
    AGE, _CONTAINERS, _IMAGES, _SELECTOR,
], _cron_job))
