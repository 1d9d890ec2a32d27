"""A small, vetted table of cloud instance types: size, the pod limit EKS sets for them, and the on-demand
price per hour, so simulated nodes look and cost like real ones. Spot prices are estimated from the
on-demand price with OpenCost's default spot ratio. Unknown types fall back to OpenCost's per-resource prices.
"""

from __future__ import annotations

from dataclasses import dataclass

# us-east-1 on-demand USD per hour, from aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go
# (generated 2026-01-19).
PRICE_SOURCE = "aws us-east-1 on-demand, karpenter-provider-aws zz_generated.pricing_aws.go (2026-01-19)"
SPOT_RATIO = 0.006655 / 0.031611
"""OpenCost configs/default.json: spotCPU / CPU, applied to whole-node prices."""
SPOT_SOURCE = "estimated: on-demand x OpenCost default spotCPU/CPU ratio (0.21)"
FALLBACK_CPU_HOURLY = 0.031611
FALLBACK_RAM_GIB_HOURLY = 0.004237
FALLBACK_GPU_HOURLY = 0.95
FALLBACK_SOURCE = "OpenCost configs/default.json per-resource prices"
STORAGE_GIB_HOURLY = 0.00005479452
"""OpenCost default storage price per GiB-hour ($0.04 per GiB-month / 730 h)."""


@dataclass(frozen=True)
class InstanceType:
    name: str
    cpu: int
    memory_gib: int
    max_pods: int
    """EKS's max pods for the type's ENIs (eni-max-pods.txt)."""
    on_demand_hourly: float
    arch: str = "amd64"
    gpus: int = 0

    def hourly(self, capacity_type: str) -> float:
        price = self.on_demand_hourly * (SPOT_RATIO if capacity_type == "spot" else 1.0)
        return round(price, 6)


CATALOG: dict[str, InstanceType] = {t.name: t for t in (
    InstanceType("t3.medium", 2, 4, 17, 0.0416),
    InstanceType("m5.large", 2, 8, 29, 0.096),
    InstanceType("m5.xlarge", 4, 16, 58, 0.192),
    InstanceType("m5.2xlarge", 8, 32, 58, 0.384),
    InstanceType("m5.4xlarge", 16, 64, 234, 0.768),
    InstanceType("m6i.large", 2, 8, 29, 0.096),
    InstanceType("m7g.large", 2, 8, 29, 0.0816, arch="arm64"),
    InstanceType("c5.large", 2, 4, 29, 0.085),
    InstanceType("c5.xlarge", 4, 8, 58, 0.17),
    InstanceType("c5.2xlarge", 8, 16, 58, 0.34),
    InstanceType("c5.4xlarge", 16, 32, 234, 0.68),
    InstanceType("r5.large", 2, 16, 29, 0.126),
    InstanceType("r5.xlarge", 4, 32, 58, 0.252),
    InstanceType("g4dn.xlarge", 4, 16, 29, 0.526, gpus=1),
)}


def lookup(name: str) -> InstanceType | None:
    return CATALOG.get(name)


def fallback_hourly(cpu: float, memory_gib: float, gpus: int, capacity_type: str) -> float:
    """A node price from OpenCost's default per-resource prices, for types outside the table."""
    price = cpu * FALLBACK_CPU_HOURLY + memory_gib * FALLBACK_RAM_GIB_HOURLY + gpus * FALLBACK_GPU_HOURLY
    return round(price * (SPOT_RATIO if capacity_type == "spot" else 1.0), 6)
