"""Cell formatting shared by the printers: labels and selectors, container lists, booleans, access modes,
object references. Each mirrors the helper `kubectl get` output comes from on a real apiserver
(labels.FormatLabels, metav1.FormatLabelSelector, layoutContainerCells, helper.GetAccessModesAsString)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubegenie.sandbox.store import Obj

NONE = "<none>"
UNSET = "<unset>"
UNKNOWN = "<unknown>"


def labels_text(labels: Mapping[str, Any] | None) -> str:
    """`k=v,k2=v2` sorted by key, `<none>` when empty."""
    if not labels:
        return NONE
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def selector_text(selector: Any) -> str:
    """A structured label selector as the apiserver prints it: requirements sorted by key, `<none>` if empty."""
    if not isinstance(selector, dict):
        return NONE
    requirements: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        requirements.append((key, f"{key}={value}"))
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, dict):
            continue
        key, op, values = str(expr.get("key", "")), expr.get("operator"), sorted(expr.get("values") or [])
        if op == "In":
            requirements.append((key, f"{key} in ({','.join(values)})"))
        elif op == "NotIn":
            requirements.append((key, f"{key} notin ({','.join(values)})"))
        elif op == "Exists":
            requirements.append((key, key))
        elif op == "DoesNotExist":
            requirements.append((key, f"!{key}"))
    if not requirements:
        return NONE
    return ",".join(text for _, text in sorted(requirements, key=lambda item: item[0]))


def containers_and_images(containers: Any) -> tuple[str, str]:
    """Comma-joined container names and images, in spec order."""
    items = [c for c in containers or [] if isinstance(c, dict)]
    return ",".join(str(c.get("name", "")) for c in items), ",".join(str(c.get("image", "")) for c in items)


def pod_template_containers(template: Any) -> tuple[str, str]:
    spec = (template or {}).get("spec") if isinstance(template, dict) else None
    return containers_and_images((spec or {}).get("containers"))


def bool_text(value: Any) -> str:
    """printBoolPtr: True / False, `<unset>` when the field is absent."""
    if value is None:
        return UNSET
    return "True" if value else "False"


_ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                 ("ReadWriteOncePod", "RWOP"))


def access_modes(modes: Any) -> str:
    present = set(modes or [])
    return ",".join(short for mode, short in _ACCESS_MODES if mode in present)


def storage_class_of(obj: Obj) -> str:
    """The beta annotation wins over spec.storageClassName, as in helper.GetPersistentVolume(Claim)Class."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    beta = annotations.get("volume.beta.kubernetes.io/storage-class")
    if beta is not None:
        return str(beta)
    return str((obj.get("spec") or {}).get("storageClassName") or "")


def group_kind_name(api_version: str, kind: str, name: str) -> str:
    """`kind.group/name` in lower case (formatResourceName), `kind/name` for the core group."""
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    qualified = f"{kind}.{group}" if group else kind
    return f"{qualified.lower()}/{name}" if qualified else name


def controller_of(obj: Obj) -> Obj | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None
