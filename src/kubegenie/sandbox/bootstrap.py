"""What every new cluster starts with: the system namespaces, the `kubernetes` Service and its Endpoints,
and the default RBAC roles and bindings of kube-apiserver's bootstrap policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubegenie.sandbox import rbac_defaults
from kubegenie.sandbox.objects import WriteOptions
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
_OPTIONS = WriteOptions(field_manager="kube-apiserver", field_validation="Ignore")


def create(cluster: Cluster, api_version: str, plural: str, namespace: str, body: Obj) -> Obj:
    """Create an object as the control plane does (no RBAC, no field validation)."""
    group, _, version = api_version.rpartition("/")
    rtype = cluster.registry.lookup(group, version, plural)
    if rtype is None:
        raise LookupError(f"no resource {plural} in {api_version}")
    return cluster.objects.create(rtype, namespace, body, _OPTIONS)


async def bootstrap(cluster: Cluster, port: int = 443) -> None:
    for name in SYSTEM_NAMESPACES:
        create(cluster, "v1", "namespaces", "", {"metadata": {"name": name}})
    create(cluster, "v1", "services", "default", {
        "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                                      "targetPort": 6443}]},
    })
    create(cluster, "v1", "endpoints", "default", {
        "metadata": {"name": "kubernetes", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": "172.18.0.2"}],
                     "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}],
    })
    for api_version, plural, body in rbac_defaults.bootstrap_policy():
        create(cluster, api_version, plural, "", body)
    del port
    await cluster.settle()
