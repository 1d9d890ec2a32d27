"""Jobs and CronJobs through kubectl: completions and parallelism, BackoffLimitExceeded with upstream's
condition and event texts, suspend, CronJob schedules (valid ones create Jobs, an unparseable one only an
UnparseableSchedule warning), and the cron parser's own error messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from kubegenie.sandbox.sim.cron import CronError, parse_standard
from tests.sandbox.sim.conftest import Sim, condition


def _job(name: str, annotations: dict[str, str], **spec: object) -> dict[str, object]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"metadata": {"annotations": annotations}, "spec": {
                "restartPolicy": "Never", "containers": [{"name": "task", "image": "busybox:1.36"}]}}, **spec}}


def _finished(sim: Sim, namespace: str, name: str) -> str | None:
    job = sim.store_get("batch/jobs", namespace, name) or {}
    for kind in ("Complete", "Failed"):
        found = condition(job, kind)
        if found is not None and found.get("status") == "True":
            return kind
    return None


def test_job_hits_backoff_limit(sim: Sim, ns: str) -> None:
    sim.apply(ns, _job("flaky", {"sim.kubegenie.io/exit-code": "1", "sim.kubegenie.io/run-seconds": "3"},
                       backoffLimit=1))
    assert sim.wait("the job to fail", lambda: _finished(sim, ns, "flaky"), 120) == "Failed"
    text = sim.ok("-n", ns, "describe", "job", "flaky")
    assert re.search(r"Backoff Limit:\s+1", text)
    assert re.search(r"Pods Statuses:\s+0 Active \(0 Ready\) / 0 Succeeded / 2 Failed", text)
    assert re.search(r"Warning\s+BackoffLimitExceeded\s+\S+\s+job-controller\s+Job has reached the specified "
                     r"backoff limit", text)
    created = re.findall(r"Normal\s+SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: (flaky-\w+)", text)
    assert len(created) == 2
    job = sim.get_json("-n", ns, "job", "flaky")
    assert [(c["type"], c["reason"], c["message"]) for c in job["status"]["conditions"]] == [
        ("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
        ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]
    assert job["status"]["failed"] == 2 and job["status"]["uncountedTerminatedPods"] == {}
    assert job["status"]["ready"] == 0 and "active" not in job["status"]
    statuses = {row.split()[2] for row in sim.ok("-n", ns, "get", "pods", "--no-headers").splitlines()}
    assert statuses == {"Error"}
    pods = sorted(sim.pods(ns, "flaky-"), key=lambda p: p["metadata"]["creationTimestamp"])
    first_end = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"]
    assert pods[1]["metadata"]["creationTimestamp"] > first_end  # the second try waited out the back-off


def test_job_runs_to_completion_in_parallel(sim: Sim, ns: str) -> None:
    sim.apply(ns, _job("batch", {"sim.kubegenie.io/run-seconds": "5"}, completions=4, parallelism=2))
    assert sim.wait("the job to complete", lambda: _finished(sim, ns, "batch"), 120) == "Complete"
    rows = sim.ok("-n", ns, "get", "job", "batch")
    assert re.search(r"batch\s+Complete\s+4/4", rows) or re.search(r"batch\s+4/4", rows)
    job = sim.get_json("-n", ns, "job", "batch")
    assert job["status"]["succeeded"] == 4
    complete = condition(job, "Complete")
    assert complete is not None and complete["reason"] == "CompletionsReached"
    assert complete["message"] == "Reached expected number of succeeded pods"
    events = [e["message"] for e in sim.store_list("events", ns) if e["involvedObject"]["kind"] == "Job"]
    assert events.count("Job completed") == 1
    assert len([m for m in events if m.startswith("Created pod: batch-")]) == 4
    starts = sorted(p["status"]["startTime"] for p in sim.pods(ns, "batch-"))
    assert starts[0] == starts[1] or starts[1] < starts[2]


def test_suspended_job_creates_no_pods(sim: Sim, ns: str) -> None:
    sim.apply(ns, _job("later", {}, suspend=True))
    suspended = sim.wait("Suspended", lambda: condition(sim.store_get("batch/jobs", ns, "later") or {}, "Suspended"),
                         30)
    assert suspended["reason"] == "JobSuspended" and suspended["message"] == "Job suspended"
    assert sim.pods(ns, "later-") == []


def test_invalid_cron_schedule_creates_no_jobs(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
                   "spec": {"schedule": "every night", "jobTemplate": {"spec": {"template": {"spec": {
                       "restartPolicy": "OnFailure", "containers": [{"name": "backup", "image": "busybox:1.36"}]}}}}}})

    def warned() -> str | None:
        return next((str(e["message"]) for e in sim.store_list("events", ns) if e["reason"] == "UnparseableSchedule"),
                    None)

    message = sim.wait("the UnparseableSchedule event", warned, 30)
    assert message == 'unparseable schedule: "every night" : expected exactly 5 fields, found 2: [every night]'
    text = sim.ok("-n", ns, "describe", "cronjob", "nightly")
    assert re.search(r"Warning\s+UnparseableSchedule\s+\S+\s+cronjob-controller\s+unparseable schedule: "
                     r"\"every night\" : expected exactly 5 fields, found 2: \[every night\]", text)
    assert sim.store_list("batch/jobs", ns) == []


def test_cron_job_creates_jobs_on_schedule(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
                   "spec": {"schedule": "*/1 * * * *", "successfulJobsHistoryLimit": 2, "jobTemplate": {"spec": {
                       "template": {"metadata": {"annotations": {"sim.kubegenie.io/run-seconds": "2"}}, "spec": {
                           "restartPolicy": "OnFailure", "containers": [{"name": "t", "image": "busybox:1.36"}]}}}}}})
    sim.wait("three jobs", lambda: len([e for e in sim.store_list("events", ns) if e["reason"] == "SuccessfulCreate"
                                        and e["involvedObject"]["kind"] == "CronJob"]) >= 3, 240)
    jobs = sim.store_list("batch/jobs", ns)
    assert 1 <= len(jobs) <= 3
    for job in jobs:
        minutes = int(job["metadata"]["name"].rsplit("-", 1)[1])
        scheduled = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        assert datetime.fromtimestamp(minutes * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == scheduled
    cron = sim.get_json("-n", ns, "cronjob", "tick")
    assert cron["status"]["lastScheduleTime"].endswith(":00Z")
    assert any(e["reason"] == "SawCompletedJob" for e in sim.store_list("events", ns))


@pytest.mark.parametrize(("schedule", "message"), [
    ("61 * * * *", "end of range (61) above maximum (59): 61"),
    ("* * * * 7", "end of range (7) above maximum (6): 7"),
    ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
    ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ("", "empty spec string"),
])
def test_cron_parser_errors(schedule: str, message: str) -> None:
    with pytest.raises(CronError) as caught:
        parse_standard(schedule)
    assert str(caught.value) == message


@pytest.mark.parametrize(("schedule", "after", "expected"), [
    ("*/15 * * * *", "2024-05-01T10:07:00", "2024-05-01T10:15:00"),
    ("0 9 * * mon-fri", "2024-05-03T09:00:00", "2024-05-06T09:00:00"),
    ("@hourly", "2024-05-01T10:07:00", "2024-05-01T11:00:00"),
    ("0 0 1 jan,jul *", "2024-02-10T00:00:00", "2024-07-01T00:00:00"),
    ("30 2 15 * 1", "2024-05-01T00:00:00", "2024-05-06T02:30:00"),
    ("TZ=Europe/Paris 0 8 * * *", "2024-05-01T07:00:00", "2024-05-02T06:00:00"),
])
def test_cron_next_activation(schedule: str, after: str, expected: str) -> None:
    moment = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert parse_standard(schedule).next_after(moment) == datetime.fromisoformat(expected).replace(tzinfo=UTC)
