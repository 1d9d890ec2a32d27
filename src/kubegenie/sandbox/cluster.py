"""One simulated cluster: its resource types, object store, clock, schemas and the API machinery bound to
them. A process may hold many clusters; each is served by its own `server.SandboxServer`.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubegenie.sandbox.authorization import Authorizer
from kubegenie.sandbox.clock import Clock
from kubegenie.sandbox.crds import CustomResourceDefinitions
from kubegenie.sandbox.fieldmanagers import FieldManagers
from kubegenie.sandbox.gc import GarbageCollector
from kubegenie.sandbox.logsource import LogSource, MemoryLogSource
from kubegenie.sandbox.metricsource import AnnotationUsage, UsageSource
from kubegenie.sandbox.namespaces import NamespaceLifecycle
from kubegenie.sandbox.objects import ObjectAPI
from kubegenie.sandbox.printers.table import Printer
from kubegenie.sandbox.resources import ResourceRegistry
from kubegenie.sandbox.schemas import SchemaSet
from kubegenie.sandbox.store import Obj, Store
from kubegenie.sandbox.tls import CertificateAuthority

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")
NODE_PORT_RANGE = range(30000, 32768)


@dataclass(frozen=True)
class VersionInfo:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> VersionInfo:
        parts = text.lstrip("v").split(".")
        return cls(int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) > 2 else 0)

    @property
    def git_version(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"

    def to_json(self) -> dict[str, str]:
        return {"major": str(self.major), "minor": str(self.minor), "emulationMajor": str(self.major),
                "emulationMinor": str(self.minor), "minCompatibilityMajor": str(self.major),
                "minCompatibilityMinor": str(self.minor - 1), "gitVersion": self.git_version,
                "gitCommit": "kubegenie-sandbox", "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z",
                "goVersion": "go1.23.4", "compiler": "gc", "platform": "linux/amd64"}


class Cluster:
    """The state and API machinery of one sandbox cluster."""

    def __init__(self, name: str = "kubegenie-sandbox", version: str = "1.31.4", clock: Clock | None = None,
                 ca: CertificateAuthority | None = None) -> None:
        self.name = name
        self.version = VersionInfo.parse(version)
        self.clock = clock or Clock()
        self.ca = ca or CertificateAuthority.generate()
        self.registry = ResourceRegistry.builtin()
        self.store = Store()
        self.schemas = SchemaSet(self.version.minor)
        self.storage_versions: dict[str, str] = {"autoscaling/horizontalpodautoscalers": "autoscaling/v2",
                                                 "events": "v1"}
        self.field_managers = FieldManagers(self)
        self.objects = ObjectAPI(self)
        self.gc = GarbageCollector(self)
        self.namespaces = NamespaceLifecycle(self)
        self.crds = CustomResourceDefinitions(self)
        self.authorizer = Authorizer(self)
        self.custom_printers: dict[tuple[str, str, str], Printer] = {}
        """(group, version, plural) -> Table printer of a custom resource (from additionalPrinterColumns)."""
        self.logs: LogSource = MemoryLogSource(self)
        """Container log lines read by pods/log; a simulation appends to it or replaces it."""
        self.usage: UsageSource = AnnotationUsage(self)
        """Resource usage read by metrics.k8s.io; a simulation replaces it with time series."""
        self.simulation: Simulation | None = None
        """The controllers, scheduler and kubelets running this cluster (None for a passive cluster)."""
        self.graceful_deletion: dict[str, Callable[[Obj, int | None], int]] = {}
        """Storage key -> grace period (seconds) a DELETE gets; > 0 leaves the object terminating for its owner."""
        self._used_ips: set[str] = set()
        self._used_node_ports: set[int] = set()

    # --- allocation ----------------------------------------------------------------------------------

    def allocate_cluster_ip(self) -> str:
        if not self._used_ips:
            self._used_ips.update(svc.get("spec", {}).get("clusterIP", "")
                                  for svc in self.store.iter("services"))
        offset = 1 if "10.96.0.1" not in self._used_ips else 10
        for index in range(offset, SERVICE_CIDR.num_addresses - 1):
            candidate = str(SERVICE_CIDR.network_address + index)
            if candidate not in self._used_ips:
                self._used_ips.add(candidate)
                return candidate
        raise RuntimeError("service CIDR exhausted")

    def allocate_node_port(self) -> int:
        for port in NODE_PORT_RANGE:
            if port not in self._used_node_ports:
                self._used_node_ports.add(port)
                return port
        raise RuntimeError("node port range exhausted")

    def default_storage_class(self) -> str | None:
        for sc in self.store.iter("storage.k8s.io/storageclasses"):
            annotations = sc["metadata"].get("annotations") or {}
            if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
                return str(sc["metadata"]["name"])
        return None

    def ca_bundle(self) -> str:
        return self.ca.cert_pem.decode()

    # --- life --------------------------------------------------------------------------------------------

    async def settle(self, rounds: int = 50) -> None:
        """Let scheduled background work (GC, namespace lifecycle) run to completion."""
        for _ in range(rounds):
            await asyncio.sleep(0)
            if self.gc.idle and self.namespaces.idle:
                await asyncio.sleep(0)
                if self.gc.idle and self.namespaces.idle:
                    return
