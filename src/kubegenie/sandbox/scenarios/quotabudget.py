"""The share of each ResourceQuota that a scenario's warm-started pods take: a workload is warm-started only if
all its pods fit every quota of their namespace, as admission would have let them in when it was deployed;
one that does not fit is left to the simulation, whose controllers meet the quota admission live. Also the
quota status the quota controller would have written long before the scenario was loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubegenie.sandbox.admission import usage
from kubegenie.sandbox.admission.usage import ResourceList, add, mask, parse_list
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster


class QuotaBudget:
    """What the pods warm-started so far use of each quota."""

    def __init__(self, cluster: Cluster, now: float) -> None:
        self.cluster = cluster
        self.now = now
        self.used: dict[tuple[str, str], ResourceList] = {}

    def admit(self, namespace: str, template: Obj, count: int) -> bool:
        """Charge `count` pods of `template` if they fit every quota of `namespace`; False (nothing charged)
        if one of them would be refused."""
        quotas = self.cluster.store.list_sorted("resourcequotas", namespace)
        if not quotas or count < 1:
            return True
        rtype = self.cluster.registry.lookup("", "v1", "pods")
        assert rtype is not None
        pod = {"metadata": {"namespace": namespace, **(template.get("metadata") or {})},
               "spec": template.get("spec") or {}}
        charges = []
        for quota in quotas:
            hard = parse_list((quota.get("spec") or {}).get("hard"))
            if not usage.matches({**quota, "status": {"hard": (quota.get("spec") or {}).get("hard")}}, rtype, pod):
                continue
            if usage.pod_constraints(pod, [name for name in hard if usage.tracks(rtype, name)]):
                return False
            key = (namespace, quota["metadata"]["name"])
            total = self.used.get(key) or usage.namespace_usage(self.cluster, quota, self.now)
            each = mask(usage.pod_usage(pod, self.now), hard)
            for _ in range(count):
                total = add(total, each)
            if any(total[name].value > hard[name].value for name in each):
                return False
            charges.append((key, total))
        self.used.update(charges)
        return True


def settle_quota_status(cluster: Cluster, now: float) -> None:
    """Write every quota's status in place, before anything is served (no cached encoding exists yet)."""
    for quota in cluster.store.list_sorted("resourcequotas"):
        quota["status"] = usage.quota_status(cluster, quota, now)
