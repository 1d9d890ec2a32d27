"""kube-state-metrics' families for workload controllers: Deployments, ReplicaSets, StatefulSets,
DaemonSets, Jobs, CronJobs, HorizontalPodAutoscalers and PodDisruptionBudgets, from their spec and status.
"""

from __future__ import annotations

from kubegenie.sandbox.sim.kube import seconds
from kubegenie.sandbox.store import Obj, Store
from kubegenie.sandbox.telemetry.exposition import Family
from kubegenie.sandbox.telemetry.ksm_pods import CONDITION_VALUES

Labels = tuple[tuple[str, str], ...]


def _base(obj: Obj, kind_label: str) -> Labels:
    meta = obj["metadata"]
    return (("namespace", str(meta.get("namespace", ""))), (kind_label, str(meta["name"])))


def _int(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _conditions(family: Family, base: Labels, obj: Obj, with_reason: bool = False) -> None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        for label, value in CONDITION_VALUES:
            labels = (*base, ("condition", str(cond.get("type"))), ("status", label))
            if with_reason:
                labels += (("reason", str(cond.get("reason", ""))),)
            family.add_labels(labels, 1 if cond.get("status") == value else 0)


def _created(family: Family, base: Labels, obj: Obj) -> None:
    when = seconds(obj["metadata"].get("creationTimestamp"))
    if when is not None:
        family.add_labels(base, when)


def deployment_families(store: Store) -> list[Family]:
    names = ("spec_replicas", "status_replicas", "status_replicas_available", "status_replicas_unavailable",
             "status_replicas_updated", "status_replicas_ready", "status_observed_generation",
             "metadata_generation")
    families = {name: Family(f"kube_deployment_{name}", "gauge", f"Deployment {name.replace('_', ' ')}.")
                for name in names}
    condition = Family("kube_deployment_status_condition", "gauge", "The current status conditions of a deployment.")
    created = Family("kube_deployment_created", "gauge", "Unix creation timestamp")
    for d in store.list_sorted("apps/deployments"):
        base, spec, status = _base(d, "deployment"), d.get("spec") or {}, d.get("status") or {}
        values = {"spec_replicas": spec.get("replicas", 1), "status_replicas": status.get("replicas", 0),
                  "status_replicas_available": status.get("availableReplicas", 0),
                  "status_replicas_unavailable": status.get("unavailableReplicas", 0),
                  "status_replicas_updated": status.get("updatedReplicas", 0),
                  "status_replicas_ready": status.get("readyReplicas", 0),
                  "status_observed_generation": status.get("observedGeneration", 0),
                  "metadata_generation": d["metadata"].get("generation", 0)}
        for name, value in values.items():
            families[name].add_labels(base, _int(value))
        _conditions(condition, base, d, with_reason=True)
        _created(created, base, d)
    return [*families.values(), condition, created]


def replicaset_families(store: Store) -> list[Family]:
    spec_replicas = Family("kube_replicaset_spec_replicas", "gauge", "Number of desired pods for a ReplicaSet.")
    replicas = Family("kube_replicaset_status_replicas", "gauge", "The number of replicas per ReplicaSet.")
    ready = Family("kube_replicaset_status_ready_replicas", "gauge", "The number of ready replicas per ReplicaSet.")
    owner = Family("kube_replicaset_owner", "gauge", "Information about the ReplicaSet's owner.")
    for rs in store.list_sorted("apps/replicasets"):
        base, status = _base(rs, "replicaset"), rs.get("status") or {}
        spec_replicas.add_labels(base, _int((rs.get("spec") or {}).get("replicas", 1)))
        replicas.add_labels(base, _int(status.get("replicas", 0)))
        ready.add_labels(base, _int(status.get("readyReplicas", 0)))
        for ref in rs["metadata"].get("ownerReferences") or []:
            owner.add_labels((*base, ("owner_kind", str(ref.get("kind", ""))), ("owner_name", str(ref.get("name", ""))),
                              ("owner_is_controller", "true" if ref.get("controller") else "false")), 1)
    return [spec_replicas, replicas, ready, owner]


def statefulset_families(store: Store) -> list[Family]:
    fields = {"replicas": "Number of desired pods for a StatefulSet.",
              "status_replicas": "The number of replicas per StatefulSet.",
              "status_replicas_ready": "The number of ready replicas per StatefulSet.",
              "status_replicas_current": "The number of current replicas per StatefulSet.",
              "status_replicas_updated": "The number of updated replicas per StatefulSet."}
    families = {name: Family(f"kube_statefulset_{name}", "gauge", text) for name, text in fields.items()}
    for sts in store.list_sorted("apps/statefulsets"):
        base, status = _base(sts, "statefulset"), sts.get("status") or {}
        families["replicas"].add_labels(base, _int((sts.get("spec") or {}).get("replicas", 1)))
        families["status_replicas"].add_labels(base, _int(status.get("replicas", 0)))
        families["status_replicas_ready"].add_labels(base, _int(status.get("readyReplicas", 0)))
        families["status_replicas_current"].add_labels(base, _int(status.get("currentReplicas", 0)))
        families["status_replicas_updated"].add_labels(base, _int(status.get("updatedReplicas", 0)))
    return list(families.values())


def daemonset_families(store: Store) -> list[Family]:
    fields = {"desired_number_scheduled": "desiredNumberScheduled",
              "current_number_scheduled": "currentNumberScheduled", "number_ready": "numberReady",
              "number_available": "numberAvailable", "number_unavailable": "numberUnavailable",
              "number_misscheduled": "numberMisscheduled", "updated_number_scheduled": "updatedNumberScheduled"}
    families = {name: Family(f"kube_daemonset_status_{name}", "gauge", f"DaemonSet {name.replace('_', ' ')}.")
                for name in fields}
    for ds in store.list_sorted("apps/daemonsets"):
        base, status = _base(ds, "daemonset"), ds.get("status") or {}
        for name, key in fields.items():
            families[name].add_labels(base, _int(status.get(key, 0)))
    return list(families.values())


def job_families(store: Store) -> list[Family]:
    info = Family("kube_job_info", "gauge", "Information about job.")
    owner = Family("kube_job_owner", "gauge", "Information about the Job's owner.")
    completions = Family("kube_job_spec_completions", "gauge", "The desired number of successfully finished pods "
                         "the job should be run with.")
    active = Family("kube_job_status_active", "gauge", "The number of actively running pods.")
    succeeded = Family("kube_job_status_succeeded", "gauge", "The number of pods which reached Phase Succeeded.")
    failed = Family("kube_job_status_failed", "gauge", "The number of pods which reached Phase Failed and the reason "
                    "for failure.")
    complete = Family("kube_job_complete", "gauge", "The job has completed its execution.")
    job_failed = Family("kube_job_failed", "gauge", "The job has failed its execution.")
    start = Family("kube_job_status_start_time", "gauge", "StartTime represents time when the job was acknowledged "
                   "by the Job Manager.")
    for job in store.list_sorted("batch/jobs"):
        base, spec, status = _base(job, "job_name"), job.get("spec") or {}, job.get("status") or {}
        info.add_labels(base, 1)
        for ref in job["metadata"].get("ownerReferences") or []:
            owner.add_labels((*base, ("owner_kind", str(ref.get("kind", ""))), ("owner_name", str(ref.get("name", ""))),
                              ("owner_is_controller", "true" if ref.get("controller") else "false")), 1)
        completions.add_labels(base, _int(spec.get("completions", 1)))
        active.add_labels(base, _int(status.get("active", 0)))
        succeeded.add_labels(base, _int(status.get("succeeded", 0)))
        failed.add_labels(base, _int(status.get("failed", 0)))
        for cond in status.get("conditions") or []:
            target = {"Complete": complete, "Failed": job_failed}.get(str(cond.get("type")))
            if target is not None:
                for label, value in CONDITION_VALUES:
                    target.add_labels((*base, ("condition", label)), 1 if cond.get("status") == value else 0)
        when = seconds(status.get("startTime"))
        if when is not None:
            start.add_labels(base, when)
    return [info, owner, completions, active, succeeded, failed, complete, job_failed, start]


def cronjob_families(store: Store) -> list[Family]:
    info = Family("kube_cronjob_info", "gauge", "Info about cronjob.")
    suspend = Family("kube_cronjob_spec_suspend", "gauge", "Suspend flag tells the controller to suspend subsequent "
                     "executions.")
    active = Family("kube_cronjob_status_active", "gauge", "Active holds pointers to currently running jobs.")
    last = Family("kube_cronjob_status_last_schedule_time", "gauge", "LastScheduleTime keeps information of when was "
                  "the last time the job was successfully scheduled.")
    for cron in store.list_sorted("batch/cronjobs"):
        base, spec, status = _base(cron, "cronjob"), cron.get("spec") or {}, cron.get("status") or {}
        info.add_labels((*base, ("schedule", str(spec.get("schedule", ""))),
                         ("concurrency_policy", str(spec.get("concurrencyPolicy", "Allow")))), 1)
        suspend.add_labels(base, 1 if spec.get("suspend") else 0)
        active.add_labels(base, float(len(status.get("active") or [])))
        when = seconds(status.get("lastScheduleTime"))
        if when is not None:
            last.add_labels(base, when)
    return [info, suspend, active, last]


def autoscaling_families(store: Store) -> list[Family]:
    info = Family("kube_horizontalpodautoscaler_info", "gauge", "Information about this autoscaler.")
    minimum = Family("kube_horizontalpodautoscaler_spec_min_replicas", "gauge", "Lower limit for the number of pods "
                     "that can be set by the autoscaler, default 1.")
    maximum = Family("kube_horizontalpodautoscaler_spec_max_replicas", "gauge", "Upper limit for the number of pods "
                     "that can be set by the autoscaler; cannot be smaller than MinReplicas.")
    current = Family("kube_horizontalpodautoscaler_status_current_replicas", "gauge", "Current number of replicas "
                     "of pods managed by this autoscaler.")
    desired = Family("kube_horizontalpodautoscaler_status_desired_replicas", "gauge", "Desired number of replicas "
                     "of pods managed by this autoscaler.")
    condition = Family("kube_horizontalpodautoscaler_status_condition", "gauge", "The condition of this autoscaler.")
    pdb_healthy = Family("kube_poddisruptionbudget_status_current_healthy", "gauge", "Current number of healthy pods")
    pdb_desired = Family("kube_poddisruptionbudget_status_desired_healthy", "gauge", "Minimum desired number of "
                         "healthy pods")
    pdb_allowed = Family("kube_poddisruptionbudget_status_pod_disruptions_allowed", "gauge", "Number of pod "
                         "disruptions that are currently allowed")
    pdb_expected = Family("kube_poddisruptionbudget_status_expected_pods", "gauge", "Total number of pods counted by "
                          "this disruption budget")
    for hpa in store.list_sorted("autoscaling/horizontalpodautoscalers"):
        base, spec, status = _base(hpa, "horizontalpodautoscaler"), hpa.get("spec") or {}, hpa.get("status") or {}
        target = spec.get("scaleTargetRef") or {}
        info.add_labels((*base, ("scaletargetref_api_version", str(target.get("apiVersion", ""))),
                         ("scaletargetref_kind", str(target.get("kind", ""))),
                         ("scaletargetref_name", str(target.get("name", "")))), 1)
        minimum.add_labels(base, _int(spec.get("minReplicas", 1)))
        maximum.add_labels(base, _int(spec.get("maxReplicas", 0)))
        current.add_labels(base, _int(status.get("currentReplicas", 0)))
        desired.add_labels(base, _int(status.get("desiredReplicas", 0)))
        _conditions(condition, base, hpa)
    for pdb in store.list_sorted("policy/poddisruptionbudgets"):
        base, status = _base(pdb, "poddisruptionbudget"), pdb.get("status") or {}
        pdb_healthy.add_labels(base, _int(status.get("currentHealthy", 0)))
        pdb_desired.add_labels(base, _int(status.get("desiredHealthy", 0)))
        pdb_allowed.add_labels(base, _int(status.get("disruptionsAllowed", 0)))
        pdb_expected.add_labels(base, _int(status.get("expectedPods", 0)))
    return [info, minimum, maximum, current, desired, condition, pdb_healthy, pdb_desired, pdb_allowed, pdb_expected]
