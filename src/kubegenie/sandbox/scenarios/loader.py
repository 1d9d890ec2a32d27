"""Reading scenario files: a multi-document YAML whose first document is the `Scenario` (cluster settings,
node pools, declared problems) and whose other documents are ordinary manifests, as `kubectl apply -f` takes
them. `demo` and `empty` name the scenarios shipped in this package. Errors name the file and the field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kubegenie.sandbox.scenarios.model import (
    CAPACITY_TYPES,
    PROBLEM_CATEGORIES,
    PROVISIONERS,
    NodePool,
    Problem,
    Scenario,
)
from kubegenie.sandbox.store import Obj

API_VERSION = "sandbox.kubegenie.io/v1alpha1"
BUILTIN = ("demo", "empty")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The C parser when libyaml is there (several times faster on the demo), the same documents either way."""
_SPEC_FIELDS = {"kubernetesVersion", "provider", "region", "nodePools", "problems", "include"}
FRAGMENTS = ("kube-system",)
"""Manifest files shipped in this package that a scenario can include by name."""
_POOL_FIELDS = {"name", "count", "instanceType", "zones", "capacityType", "provisioner", "capacity", "labels",
                "annotations", "taints", "unschedulable", "names"}
_PROBLEM_FIELDS = {"category", "kind", "namespace", "name", "what", "check"}


class ScenarioError(ValueError):
    """A scenario that cannot be read; the message says where and why."""


def builtin_text(name: str) -> str:
    return resources.files("kubegenie.sandbox.scenarios").joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load(reference: str | Path) -> Scenario:
    """A scenario by built-in name (`demo`, `empty`) or file path."""
    if isinstance(reference, str) and reference in BUILTIN:
        return parse(builtin_text(reference), f"<{reference}>")
    path = Path(reference)
    if not path.is_file():
        raise ScenarioError(f"no scenario {str(reference)!r}: give demo, empty or the path of a scenario file")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: {exc.strerror or exc}") from exc
    return parse(text, str(path))


def parse(text: str, origin: str) -> Scenario:
    try:
        documents = [doc for doc in yaml.load_all(text, Loader=_YAML_LOADER) if doc is not None]
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{origin}: not valid YAML: {exc}") from exc
    if not documents or not isinstance(documents[0], dict) or documents[0].get("kind") != "Scenario":
        raise ScenarioError(f"{origin}: the first document must be a Scenario (apiVersion: {API_VERSION}, "
                            f"kind: Scenario)")
    head = documents[0]
    if head.get("apiVersion") != API_VERSION:
        raise ScenarioError(f"{origin}: Scenario apiVersion must be {API_VERSION}, not {head.get('apiVersion')!r}")
    meta = _mapping(head.get("metadata") or {}, f"{origin}: metadata")
    spec = _mapping(head.get("spec") or {}, f"{origin}: spec")
    _known(spec, _SPEC_FIELDS, f"{origin}: spec")
    name = str(meta.get("name") or Path(origin).stem.strip("<>"))
    pools = tuple(_pool(item, f"{origin}: spec.nodePools[{index}]")
                  for index, item in enumerate(_sequence(spec.get("nodePools") or [], f"{origin}: spec.nodePools")))
    names = [pool.name for pool in pools]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{origin}: spec.nodePools: pool names must be unique")
    problems = tuple(_problem(item, f"{origin}: spec.problems[{index}]")
                     for index, item in enumerate(_sequence(spec.get("problems") or [], f"{origin}: spec.problems")))
    included: list[Obj] = []
    for index, item in enumerate(_sequence(spec.get("include") or [], f"{origin}: spec.include")):
        included.extend(_fragment(str(item), origin, f"{origin}: spec.include[{index}]"))
    manifests = tuple(included + _manifests(documents[1:], origin))
    return Scenario(name=name, description=str((meta.get("annotations") or {}).get("description", "")
                                                 or meta.get("description", "")),
                    kubernetes_version=str(spec.get("kubernetesVersion", "1.31.4")),
                    provider=str(spec.get("provider", "aws")), region=str(spec.get("region", "us-east-1")),
                    node_pools=pools, manifests=manifests, problems=problems)


def fragment(name: str) -> list[Obj]:
    """The manifests of a fragment shipped in this package (see FRAGMENTS)."""
    return _fragment(name, f"<{name}>", f"<{name}>")


def _fragment(reference: str, origin: str, where: str) -> list[Obj]:
    """A built-in fragment by name, else a manifest file relative to the scenario file."""
    if reference in FRAGMENTS:
        documents = list(yaml.load_all(builtin_text(reference), Loader=_YAML_LOADER))
        return _manifests(documents, f"<{reference}>", first=1)
    base = Path(origin).parent if not origin.startswith("<") else Path.cwd()
    path = (base / reference).resolve()
    try:
        text = path.read_text(encoding="utf-8")
        return _manifests(list(yaml.load_all(text, Loader=_YAML_LOADER)), str(path), first=1)
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{where}: {path} is not valid YAML: {exc}") from exc


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: expected a mapping")
    return value


def _sequence(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(f"{where}: expected a list")
    return value


def _known(value: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(allowed))})")


def _strings(value: Any, where: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in _mapping(value or {}, where).items()}


def _pool(item: Any, where: str) -> NodePool:
    pool = _mapping(item, where)
    _known(pool, _POOL_FIELDS, where)
    for required in ("name", "instanceType"):
        if not pool.get(required):
            raise ScenarioError(f"{where}: {required} is required")
    count = pool.get("count", 1)
    if not isinstance(count, int) or count < 0:
        raise ScenarioError(f"{where}: count must be a whole number >= 0")
    capacity_type = str(pool.get("capacityType", "on-demand"))
    if capacity_type not in CAPACITY_TYPES:
        raise ScenarioError(f"{where}: capacityType must be one of {', '.join(CAPACITY_TYPES)}")
    provisioner = str(pool.get("provisioner", "eks"))
    if provisioner not in PROVISIONERS:
        raise ScenarioError(f"{where}: provisioner must be one of {', '.join(PROVISIONERS)}")
    taints = tuple(_mapping(t, f"{where}.taints") for t in _sequence(pool.get("taints") or [], f"{where}.taints"))
    for taint in taints:
        if not taint.get("key") or taint.get("effect") not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise ScenarioError(f"{where}.taints: each taint needs a key and an effect "
                                f"(NoSchedule, PreferNoSchedule or NoExecute)")
    names = tuple(str(n) for n in _sequence(pool.get("names") or [], f"{where}.names"))
    zones = tuple(str(z) for z in _sequence(pool.get("zones") or [], f"{where}.zones"))
    return NodePool(name=str(pool["name"]), count=count, instance_type=str(pool["instanceType"]), zones=zones,
                    capacity_type=capacity_type, provisioner=provisioner,
                    capacity=_strings(pool.get("capacity"), f"{where}.capacity"),
                    labels=_strings(pool.get("labels"), f"{where}.labels"),
                    annotations=_strings(pool.get("annotations"), f"{where}.annotations"), taints=taints,
                    unschedulable=bool(pool.get("unschedulable", False)), names=names)


def _problem(item: Any, where: str) -> Problem:
    problem = _mapping(item, where)
    _known(problem, _PROBLEM_FIELDS, where)
    for required in ("category", "kind", "name", "what"):
        if not problem.get(required):
            raise ScenarioError(f"{where}: {required} is required")
    if problem["category"] not in PROBLEM_CATEGORIES:
        raise ScenarioError(f"{where}: category must be one of {', '.join(PROBLEM_CATEGORIES)}")
    return Problem(str(problem["category"]), str(problem["kind"]), str(problem["name"]), str(problem["what"]),
                   str(problem.get("namespace", "")), str(problem.get("check", "")))


def _manifests(documents: list[Any], origin: str, first: int = 2) -> list[Obj]:
    found: list[Obj] = []
    for index, doc in enumerate(documents, start=first):
        if doc is None:
            continue
        where = f"{origin}: document {index}"
        obj = _mapping(doc, where)
        if obj.get("kind") == "List" or (str(obj.get("kind", "")).endswith("List") and "items" in obj):
            found.extend(_manifests(_sequence(obj.get("items") or [], f"{where}.items"), origin, index))
            continue
        if not obj.get("apiVersion") or not obj.get("kind"):
            raise ScenarioError(f"{where}: a manifest needs apiVersion and kind")
        if not isinstance(obj.get("metadata"), dict) or not obj["metadata"].get("name"):
            raise ScenarioError(f"{where}: {obj['kind']} needs metadata.name")
        found.append(obj)
    return found
