"""Node objects for a scenario's node pools, as an EKS cluster registers them: EKS-style names and addresses,
the well-known instance-type, zone and capacity-type labels (managed node group or Karpenter flavour),
capacity and allocatable from the instance type, the pod CIDR, the provider ID and the node's hourly price.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from kubegenie.sandbox.scenarios import instancetypes
from kubegenie.sandbox.scenarios.model import NodePool
from kubegenie.sandbox.store import Obj

PRICE_ANNOTATION = "sim.kubegenie.io/hourly-price"
"""The node's price in USD per hour, for cost agents (a real cluster would take it from the cloud's price list)."""
PRICE_SOURCE_ANNOTATION = "sim.kubegenie.io/price-source"
MAX_NODES = 2816
_KI = 1024
_MI = 1024 * 1024


@dataclass(frozen=True)
class PlannedNode:
    """A node to create, with the status its kubelet would register (the simulation fills in the rest)."""

    body: Obj
    pool: NodePool


def pod_cidr(index: int) -> str:
    """A /24 per node from 10.244.0.0 on (the /16 default would stop at 256 nodes)."""
    if index >= MAX_NODES:
        raise ValueError(f"at most {MAX_NODES} nodes are supported")
    return f"10.{244 + index // 256}.{index % 256}.0/24"


def _reserved_millicores(cpus: int) -> int:
    """kubelet kube-reserved CPU as EKS and GKE compute it: 6% of the first core, 1% of the second,
    0.5% of the next two and 0.25% of the rest."""
    shares = [60.0, 10.0, 5.0, 5.0] + [2.5] * max(0, cpus - 4)
    return round(sum(shares[:cpus]))


def _sizes(pool: NodePool) -> tuple[dict[str, str], dict[str, str], float]:
    """(capacity, allocatable, hourly price) for a node of the pool."""
    known = instancetypes.lookup(pool.instance_type)
    cpus = known.cpu if known else int(pool.capacity.get("cpu", "4"))
    memory_gib = known.memory_gib if known else 16
    max_pods = known.max_pods if known else 110
    gpus = known.gpus if known else int(pool.capacity.get("nvidia.com/gpu", "0"))
    memory_ki = int(memory_gib * _MI * 0.962)
    capacity = {"cpu": str(cpus), "ephemeral-storage": "83873772Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                "memory": f"{memory_ki}Ki", "pods": str(max_pods)}
    if gpus:
        capacity["nvidia.com/gpu"] = str(gpus)
    capacity.update(pool.capacity)
    reserved_memory_ki = (255 + 11 * int(capacity["pods"]) + 100) * _KI
    allocatable = dict(capacity)
    allocatable["cpu"] = f"{int(capacity['cpu']) * 1000 - _reserved_millicores(int(capacity['cpu']))}m" \
        if capacity["cpu"].isdigit() else capacity["cpu"]
    if capacity["memory"].endswith("Ki"):
        allocatable["memory"] = f"{int(capacity['memory'][:-2]) - reserved_memory_ki}Ki"
    allocatable["ephemeral-storage"] = "76224326324"
    if known:
        price = known.hourly(pool.capacity_type)
    else:
        price = instancetypes.fallback_hourly(cpus, memory_gib, gpus, pool.capacity_type)
    return capacity, allocatable, price


def _labels(pool: NodePool, zone: str, region: str, name: str) -> dict[str, str]:
    known = instancetypes.lookup(pool.instance_type)
    arch = known.arch if known else "amd64"
    labels = {"beta.kubernetes.io/arch": arch, "beta.kubernetes.io/instance-type": pool.instance_type,
              "beta.kubernetes.io/os": "linux", "failure-domain.beta.kubernetes.io/region": region,
              "failure-domain.beta.kubernetes.io/zone": zone, "kubernetes.io/arch": arch,
              "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
              "node.kubernetes.io/instance-type": pool.instance_type, "topology.kubernetes.io/region": region,
              "topology.kubernetes.io/zone": zone}
    if pool.provisioner == "karpenter":
        family, _, size = pool.instance_type.partition(".")
        labels.update({"karpenter.sh/capacity-type": pool.capacity_type, "karpenter.sh/nodepool": pool.name,
                       "karpenter.sh/initialized": "true", "karpenter.sh/registered": "true",
                       "karpenter.k8s.aws/instance-family": family, "karpenter.k8s.aws/instance-size": size})
        if known:
            labels["karpenter.k8s.aws/instance-cpu"] = str(known.cpu)
            labels["karpenter.k8s.aws/instance-memory"] = str(known.memory_gib * 1024)
    else:
        labels.update({"eks.amazonaws.com/capacityType": "SPOT" if pool.capacity_type == "spot" else "ON_DEMAND",
                       "eks.amazonaws.com/nodegroup": pool.name,
                       "eks.amazonaws.com/nodegroup-image": "ami-0a5c3b6b0e6f1d2c4"})
    if known and known.gpus:
        labels["k8s.amazonaws.com/accelerator"] = "nvidia-tesla-t4"
    labels.update(pool.labels)
    return labels


def _address_in(name: str) -> str | None:
    """The IP an EKS-style node name spells (`ip-10-0-1-23.ec2.internal` -> 10.0.1.23)."""
    match = re.match(r"ip-(\d+)-(\d+)-(\d+)-(\d+)\.", name)
    return ".".join(match.groups()) if match else None


def plan_nodes(pools: tuple[NodePool, ...], region: str, seed: int) -> list[PlannedNode]:
    """Node bodies for every pool, named and addressed reproducibly from `seed`."""
    rng = random.Random(f"nodes/{seed}")
    used: set[str] = set()
    planned = []
    index = 0
    for pool in pools:
        capacity, allocatable, price = _sizes(pool)
        for number in range(pool.count):
            zone = pool.zones[number % len(pool.zones)] if pool.zones else f"{region}a"
            subnet = 16 * (1 + (ord(zone[-1]) - ord("a")) % 8) + rng.randrange(16)
            while True:
                address = f"10.0.{subnet}.{rng.randrange(2, 255)}"
                if address not in used:
                    used.add(address)
                    break
            domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
            name = pool.names[number] if number < len(pool.names) else f"ip-{address.replace('.', '-')}.{domain}"
            address = _address_in(name) or address
            instance_id = "i-0" + "".join(rng.choice("0123456789abcdef") for _ in range(16))
            cidr = pod_cidr(index)
            index += 1
            annotations = {"alpha.kubernetes.io/provided-node-ip": address, "node.alpha.kubernetes.io/ttl": "0",
                           "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                           PRICE_ANNOTATION: f"{price:g}",
                           PRICE_SOURCE_ANNOTATION: instancetypes.SPOT_SOURCE if pool.capacity_type == "spot"
                           and instancetypes.lookup(pool.instance_type) else
                           (instancetypes.PRICE_SOURCE if instancetypes.lookup(pool.instance_type)
                            else instancetypes.FALLBACK_SOURCE),
                           **pool.annotations}
            spec: Obj = {"podCIDR": cidr, "podCIDRs": [cidr], "providerID": f"aws:///{zone}/{instance_id}"}
            if pool.taints:
                spec["taints"] = [dict(t) for t in pool.taints]
            if pool.unschedulable:
                spec["unschedulable"] = True
            body: Obj = {"apiVersion": "v1", "kind": "Node",
                         "metadata": {"name": name, "labels": _labels(pool, zone, region, name),
                                      "annotations": annotations},
                         "spec": spec,
                         "status": {"capacity": dict(capacity), "allocatable": dict(allocatable),
                                    "addresses": [{"address": address, "type": "InternalIP"},
                                                  {"address": name, "type": "InternalDNS"},
                                                  {"address": name, "type": "Hostname"}],
                                    "nodeInfo": {"containerRuntimeVersion": "containerd://1.7.22",
                                                 "kernelVersion": "6.1.109-118.189.amzn2023.x86_64",
                                                 "osImage": "Amazon Linux 2023.6.20241010"}}}
            planned.append(PlannedNode(body, pool))
    return planned
