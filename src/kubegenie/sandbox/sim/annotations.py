"""The `sim.kubegenie.io/*` contract (DESIGN.md section 4): what a pod's containers do and how a node feels,
parsed from annotations into plain values. Nothing here schedules, runs or writes anything.

Pod annotations (on the pod or its template) apply to every container of the pod; a key suffixed with
`.<container>` (`sim.kubegenie.io/exit-code.worker: "1"`) overrides it for one container.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kubegenie.domain import quantity
from kubegenie.sandbox.store import Obj

log = logging.getLogger(__name__)

PREFIX = "sim.kubegenie.io/"
EXIT_CODE = PREFIX + "exit-code"
RUN_SECONDS = PREFIX + "run-seconds"
CPU = PREFIX + "cpu"
MEMORY = PREFIX + "memory"
USAGE_PATTERN = PREFIX + "usage-pattern"
READY = PREFIX + "ready"
LOG = PREFIX + "log"
NODE_CONDITION = PREFIX + "condition"

PATTERNS = ("steady", "diurnal", "spiky", "leak")
DEFAULT_RUN_SECONDS_WITH_EXIT = 5.0
NODE_CONDITION_TYPES = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


@dataclass(frozen=True)
class Behaviour:
    """What one container does once started."""

    exit_code: int | None = None
    run_seconds: float | None = None
    """Seconds from start to exit; None runs forever."""
    cpu_millicores: float | None = None
    """Declared CPU usage; None leaves it to the metrics source's default for the container."""
    memory_bytes: float | None = None
    pattern: str = "steady"
    ready: bool = True
    log_lines: tuple[str, ...] | None = None


def _lookup(annotations: dict[str, str], key: str, container: str) -> str | None:
    specific = annotations.get(f"{key}.{container}")
    return specific if specific is not None else annotations.get(key)


def container_behaviour(annotations: dict[str, str] | None, container: str) -> Behaviour:
    """The behaviour of `container` from its pod's annotations; malformed values are ignored (and logged)."""
    annotations = annotations or {}
    exit_code: int | None = None
    run_seconds: float | None = None
    cpu: float | None = None
    memory: float | None = None
    raw = _lookup(annotations, EXIT_CODE, container)
    if raw is not None:
        try:
            exit_code = int(raw.strip())
        except ValueError:
            log.warning("ignoring %s=%r: not an integer", EXIT_CODE, raw)
    raw = _lookup(annotations, RUN_SECONDS, container)
    if raw is not None:
        try:
            run_seconds = max(0.0, float(raw.strip()))
        except ValueError:
            log.warning("ignoring %s=%r: not a number of seconds", RUN_SECONDS, raw)
    if exit_code is not None and run_seconds is None:
        run_seconds = DEFAULT_RUN_SECONDS_WITH_EXIT
    raw = _lookup(annotations, CPU, container)
    if raw is not None:
        try:
            cpu = float(quantity.parse(raw.strip()) * 1000)
        except quantity.QuantityError:
            log.warning("ignoring %s=%r: not a quantity", CPU, raw)
    raw = _lookup(annotations, MEMORY, container)
    if raw is not None:
        try:
            memory = float(quantity.parse(raw.strip()))
        except quantity.QuantityError:
            log.warning("ignoring %s=%r: not a quantity", MEMORY, raw)
    pattern = (_lookup(annotations, USAGE_PATTERN, container) or "steady").strip().lower()
    if pattern not in PATTERNS:
        log.warning("ignoring %s=%r: expected one of %s", USAGE_PATTERN, pattern, ", ".join(PATTERNS))
        pattern = "steady"
    ready = (_lookup(annotations, READY, container) or "true").strip().lower() not in ("false", "0", "no")
    raw_log = _lookup(annotations, LOG, container)
    lines = tuple(raw_log.replace("\\n", "\n").splitlines()) if raw_log is not None else None
    return Behaviour(exit_code, run_seconds, cpu, memory, pattern, ready, lines)


def pod_behaviours(pod: Obj) -> dict[str, Behaviour]:
    """Behaviour of every container (init containers included) of a pod."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])]
    return {name: container_behaviour(annotations, name) for name in names}


def node_conditions(node: Obj) -> dict[str, str]:
    """Declared node conditions, e.g. `"Ready=False, MemoryPressure=True"` -> {"Ready": "False", ...}."""
    annotations = (node.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(NODE_CONDITION)
    declared: dict[str, str] = {}
    if not raw:
        return declared
    for part in raw.replace(";", ",").split(","):
        condition, _, value = part.strip().partition("=")
        condition, value = condition.strip(), value.strip().capitalize()
        if condition in NODE_CONDITION_TYPES and value in ("True", "False", "Unknown"):
            declared[condition] = value
        elif part.strip():
            log.warning("ignoring node condition %r on %s", part.strip(), node["metadata"].get("name"))
    return declared
