"""The ServiceAccount admission plugin's check: a new pod must name a ServiceAccount that exists in its
namespace (`default` when it names none), or it is refused with kube-apiserver's 403 (`error looking up
service account ns/x: serviceaccount "x" not found`). Mirror pods are left alone. Mounting the account's
token is the pod defaulting's job, not this module's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubegenie.sandbox import status
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster
    from kubegenie.sandbox.resources import ResourceType

MIRROR_POD = "kubernetes.io/config.mirror"


def admit(cluster: Cluster, rtype: ResourceType, namespace: str, pod: Obj) -> None:
    """Refuse a pod whose ServiceAccount does not exist (before its name is generated, as upstream)."""
    if rtype.storage_key != "pods" or cluster.store.get("namespaces", "", namespace) is None:
        return  # a missing namespace gets the namespace lifecycle's 404 instead
    meta = pod.get("metadata") or {}
    if MIRROR_POD in (meta.get("annotations") or {}):
        return
    spec = pod.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    account = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
    if cluster.store.get("serviceaccounts", namespace, account) is not None:
        return
    # The object has no name yet when it asked for a generated one: upstream names it by its prefix.
    name = str(meta.get("name") or meta.get("generateName") or "Unknown")
    raise status.forbidden(f'{rtype.qualified} "{name}" is forbidden: error looking up service account '
                           f'{namespace}/{account}: serviceaccount "{account}" not found', rtype, name)
