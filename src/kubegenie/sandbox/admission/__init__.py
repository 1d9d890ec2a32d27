"""Admission for the object API, as kube-apiserver's plugin chain runs it: `admit` before an object is named
(generated names are not chosen yet, so errors quote the prefix), `validate` on the final object just before
it is stored. Plugins: ServiceAccount (pods must name an existing account) and ResourceQuota (refuse and
charge). Status writes are not admitted, as upstream's quota plugin ignores them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubegenie.sandbox.admission import quota, serviceaccount
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster
    from kubegenie.sandbox.resources import ResourceType


def admit(cluster: Cluster, rtype: ResourceType, namespace: str, obj: Obj) -> None:
    """Checks of a create request's object before its name is generated."""
    serviceaccount.admit(cluster, rtype, namespace, obj)


def validate(cluster: Cluster, rtype: ResourceType, obj: Obj, old: Obj | None, dry_run: bool) -> None:
    """Checks of the object about to be stored (`old` is the stored version on an update)."""
    quota.admit(cluster, rtype, obj, old, dry_run)
