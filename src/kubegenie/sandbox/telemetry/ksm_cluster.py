"""kube-state-metrics' families for nodes, namespaces, storage (classes, volumes, claims), services and
endpoints, and ingresses, with the label sets of kube-state-metrics v2. Values come from stored objects.
"""

from __future__ import annotations

from kubegenie.sandbox.sim.kube import seconds
from kubegenie.sandbox.store import Store
from kubegenie.sandbox.telemetry.exposition import Family, sanitize
from kubegenie.sandbox.telemetry.ksm_pods import CONDITION_VALUES, quantity_value, resource_labels

PV_PHASES = ("Pending", "Available", "Bound", "Released", "Failed")
PVC_PHASES = ("Lost", "Bound", "Pending")


def node_families(store: Store) -> list[Family]:
    info = Family("kube_node_info", "gauge", "Information about a cluster node.")
    labels = Family("kube_node_labels", "gauge", "Kubernetes labels converted to Prometheus labels.")
    condition = Family("kube_node_status_condition", "gauge", "The condition of a cluster node.")
    allocatable = Family("kube_node_status_allocatable", "gauge",
                         "The allocatable for different resources of a node that are available for scheduling.")
    capacity = Family("kube_node_status_capacity", "gauge", "The capacity for different resources of a node.")
    unschedulable = Family("kube_node_spec_unschedulable", "gauge", "Whether a node can schedule new pods.")
    taint = Family("kube_node_spec_taint", "gauge", "The taint of a cluster node.")
    created = Family("kube_node_created", "gauge", "Unix creation timestamp")
    for node in store.list_sorted("nodes"):
        meta, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
        name = (("node", str(meta["name"])),)
        node_info = status.get("nodeInfo") or {}
        internal = next((a.get("address", "") for a in status.get("addresses") or [] if a.get("type") == "InternalIP"),
                        "")
        info.add_labels((*name, ("kernel_version", str(node_info.get("kernelVersion", ""))),
                         ("os_image", str(node_info.get("osImage", ""))),
                         ("container_runtime_version", str(node_info.get("containerRuntimeVersion", ""))),
                         ("kubelet_version", str(node_info.get("kubeletVersion", ""))),
                         ("kubeproxy_version", str(node_info.get("kubeProxyVersion", ""))),
                         ("provider_id", str(spec.get("providerID", ""))), ("pod_cidr", str(spec.get("podCIDR", ""))),
                         ("system_uuid", str(node_info.get("systemUUID", ""))), ("internal_ip", str(internal))), 1)
        labels.add_labels(name + tuple((f"label_{sanitize(k)}", str(v))
                                       for k, v in sorted((meta.get("labels") or {}).items())), 1)
        for cond in status.get("conditions") or []:
            for label, value in CONDITION_VALUES:
                condition.add_labels((*name, ("condition", str(cond.get("type"))), ("status", label)),
                                     1 if cond.get("status") == value else 0)
        sizes = ((allocatable, status.get("allocatable") or {}), (capacity, status.get("capacity") or {}))
        for family, values in sizes:
            for resource, raw in sorted(values.items()):
                amount = quantity_value(raw)
                if amount is not None:
                    resource_label, unit = resource_labels(resource)
                    family.add_labels((*name, ("resource", resource_label), ("unit", unit)), amount)
        unschedulable.add_labels(name, 1 if spec.get("unschedulable") else 0)
        for item in spec.get("taints") or []:
            taint.add_labels((*name, ("key", str(item.get("key", ""))), ("value", str(item.get("value", ""))),
                              ("effect", str(item.get("effect", "")))), 1)
        when = seconds(meta.get("creationTimestamp"))
        if when is not None:
            created.add_labels(name, when)
    return [info, labels, condition, allocatable, capacity, unschedulable, taint, created]


def namespace_families(store: Store) -> list[Family]:
    phase = Family("kube_namespace_status_phase", "gauge", "kubernetes namespace status phase.")
    created = Family("kube_namespace_created", "gauge", "Unix creation timestamp")
    for ns in store.list_sorted("namespaces"):
        name = (("namespace", str(ns["metadata"]["name"])),)
        current = (ns.get("status") or {}).get("phase", "Active")
        for candidate in ("Active", "Terminating"):
            phase.add_labels((*name, ("phase", candidate)), 1 if candidate == current else 0)
        when = seconds(ns["metadata"].get("creationTimestamp"))
        if when is not None:
            created.add_labels(name, when)
    return [phase, created]


def storage_families(store: Store) -> list[Family]:
    sc_info = Family("kube_storageclass_info", "gauge", "Information about storageclass.")
    pv_info = Family("kube_persistentvolume_info", "gauge", "Information about persistentvolume.")
    pv_phase = Family("kube_persistentvolume_status_phase", "gauge", "The phase indicates if a volume is available, "
                      "bound to a claim, or released by a claim.")
    pv_capacity = Family("kube_persistentvolume_capacity_bytes", "gauge", "Persistentvolume capacity in bytes.")
    pv_claim = Family("kube_persistentvolume_claim_ref", "gauge", "Information about the Persistent Volume Claim "
                      "Reference.")
    pvc_info = Family("kube_persistentvolumeclaim_info", "gauge", "Information about persistent volume claim.")
    pvc_phase = Family("kube_persistentvolumeclaim_status_phase", "gauge",
                       "The phase the persistent volume claim is currently in.")
    pvc_request = Family("kube_persistentvolumeclaim_resource_requests_storage_bytes", "gauge",
                         "The capacity of storage requested by the persistent volume claim.")
    pvc_access = Family("kube_persistentvolumeclaim_access_mode", "gauge",
                        "The access mode(s) specified by the persistent volume claim.")
    for sc in store.list_sorted("storage.k8s.io/storageclasses"):
        sc_info.add(1, storageclass=str(sc["metadata"]["name"]), provisioner=str(sc.get("provisioner", "")),
                    reclaim_policy=str(sc.get("reclaimPolicy", "Delete")),
                    volume_binding_mode=str(sc.get("volumeBindingMode", "Immediate")))
    for pv in store.list_sorted("persistentvolumes"):
        spec, name = pv.get("spec") or {}, str(pv["metadata"]["name"])
        csi = spec.get("csi") or {}
        pv_info.add(1, persistentvolume=name, storageclass=str(spec.get("storageClassName", "")),
                    csi_driver=str(csi.get("driver", "")), csi_volume_handle=str(csi.get("volumeHandle", "")),
                    host_path=str((spec.get("hostPath") or {}).get("path", "")))
        current = (pv.get("status") or {}).get("phase", "Pending")
        for candidate in PV_PHASES:
            pv_phase.add(1 if candidate == current else 0, persistentvolume=name, phase=candidate)
        size = quantity_value((spec.get("capacity") or {}).get("storage"))
        if size is not None:
            pv_capacity.add(size, persistentvolume=name)
        ref = spec.get("claimRef") or {}
        if ref.get("name"):
            pv_claim.add(1, persistentvolume=name, name=str(ref["name"]), claim_namespace=str(ref.get("namespace", "")))
    for pvc in store.list_sorted("persistentvolumeclaims"):
        spec, meta = pvc.get("spec") or {}, pvc["metadata"]
        base = {"namespace": str(meta.get("namespace", "")), "persistentvolumeclaim": str(meta["name"])}
        pvc_info.add(1, **base, storageclass=str(spec.get("storageClassName") or ""),
                     volumename=str(spec.get("volumeName", "")), volumemode=str(spec.get("volumeMode", "Filesystem")))
        current = (pvc.get("status") or {}).get("phase", "Pending")
        for candidate in PVC_PHASES:
            pvc_phase.add(1 if candidate == current else 0, **base, phase=candidate)
        size = quantity_value(((spec.get("resources") or {}).get("requests") or {}).get("storage"))
        if size is not None:
            pvc_request.add(size, **base)
        for mode in spec.get("accessModes") or []:
            pvc_access.add(1, **base, access_mode=str(mode))
    return [sc_info, pv_info, pv_phase, pv_capacity, pv_claim, pvc_info, pvc_phase, pvc_request, pvc_access]


def service_families(store: Store) -> list[Family]:
    info = Family("kube_service_info", "gauge", "Information about service.")
    kind = Family("kube_service_spec_type", "gauge", "Type about service.")
    ingress = Family("kube_service_status_load_balancer_ingress", "gauge", "Service load balancer ingress status")
    address = Family("kube_endpoint_address", "gauge", "Information about Endpoint available and non available "
                     "addresses.")
    ing_info = Family("kube_ingress_info", "gauge", "Information about ingress.")
    ing_path = Family("kube_ingress_path", "gauge", "Ingress host, paths and backend service information.")
    for svc in store.list_sorted("services"):
        meta, spec = svc["metadata"], svc.get("spec") or {}
        base = {"namespace": str(meta.get("namespace", "")), "service": str(meta["name"]),
                "uid": str(meta.get("uid", ""))}
        info.add(1, **base, cluster_ip=str(spec.get("clusterIP", "")), external_name=str(spec.get("externalName", "")),
                 load_balancer_ip=str(spec.get("loadBalancerIP", "")))
        kind.add(1, **base, type=str(spec.get("type", "ClusterIP")))
        for item in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
            ingress.add(1, **base, ip=str(item.get("ip", "")), hostname=str(item.get("hostname", "")))
    for endpoints in store.list_sorted("endpoints"):
        meta = endpoints["metadata"]
        base = {"namespace": str(meta.get("namespace", "")), "endpoint": str(meta["name"])}
        for subset in endpoints.get("subsets") or []:
            for ready, key in (("true", "addresses"), ("false", "notReadyAddresses")):
                for item in subset.get(key) or []:
                    address.add(1, **base, ip=str(item.get("ip", "")), ready=ready)
    for ing in store.list_sorted("networking.k8s.io/ingresses"):
        meta, spec = ing["metadata"], ing.get("spec") or {}
        base = {"namespace": str(meta.get("namespace", "")), "ingress": str(meta["name"])}
        klass = spec.get("ingressClassName") or (meta.get("annotations") or {}).get("kubernetes.io/ingress.class", "")
        ing_info.add(1, **base, ingressclass=str(klass or "_default"))
        for rule in spec.get("rules") or []:
            for path in ((rule.get("http") or {}).get("paths") or []):
                backend = (path.get("backend") or {}).get("service") or {}
                port = backend.get("port") or {}
                ing_path.add(1, **base, host=str(rule.get("host", "")), path=str(path.get("path", "")),
                             service_name=str(backend.get("name", "")),
                             service_port=str(port.get("number", port.get("name", ""))))
    return [info, kind, ingress, address, ing_info, ing_path]

