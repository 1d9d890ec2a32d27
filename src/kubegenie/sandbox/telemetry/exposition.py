"""Writing metric families as text: the Prometheus exposition format 0.0.4 that scrapers read from `/metrics`,
and OpenMetrics 1.0 (counters named without `_total` in TYPE lines, timestamps in seconds, `# EOF`) that
`promtool tsdb create-blocks-from openmetrics` reads. Label values are escaped as both formats require.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"

Labels = tuple[tuple[str, str], ...]


def escape(value: str) -> str:
    if "\\" not in value and '"' not in value and "\n" not in value:
        return value
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def label_text(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{name}="{escape(value)}"' for name, value in labels) + "}"


def number(value: float) -> str:
    """A sample value as Go's strconv formats it for exposition (`+Inf`, `NaN`, shortest round-trip)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


@lru_cache(maxsize=16384)
def sanitize(name: str) -> str:
    """A Kubernetes label or resource name as a Prometheus label name fragment (kube-state-metrics style)."""
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)


@dataclass
class Family:
    """One metric family and its samples (labels, value)."""

    name: str
    kind: str
    """gauge | counter"""
    help: str
    samples: list[tuple[Labels, float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append((tuple(labels.items()), value))

    def add_labels(self, labels: Labels, value: float) -> None:
        self.samples.append((labels, value))

    @property
    def sample_name(self) -> str:
        """The name samples carry: counters end in `_total`."""
        return self.name if self.kind != "counter" or self.name.endswith("_total") else f"{self.name}_total"

    @property
    def openmetrics_name(self) -> str:
        """The family name in OpenMetrics TYPE lines: a counter's name without `_total`."""
        return self.name[:-6] if self.kind == "counter" and self.name.endswith("_total") else self.name


def prometheus_text(families: Iterable[Family]) -> Iterator[str]:
    """Exposition format 0.0.4, one chunk per family."""
    for family in families:
        lines = [f"# HELP {family.sample_name} {family.help}", f"# TYPE {family.sample_name} {family.kind}"]
        name = family.sample_name
        lines.extend(f"{name}{label_text(labels)} {number(value)}" for labels, value in family.samples)
        yield "\n".join(lines) + "\n"


def openmetrics_header(family: Family) -> str:
    return f"# HELP {family.openmetrics_name} {family.help}\n# TYPE {family.openmetrics_name} {family.kind}\n"


def openmetrics_sample(name: str, labels: Labels, value: float, at: float) -> str:
    """One sample with its timestamp in seconds."""
    return f"{name}{label_text(labels)} {number(value)} {number(round(at, 3))}\n"


OPENMETRICS_EOF = "# EOF\n"
