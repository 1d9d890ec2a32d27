"""Validation of writes: strict field decoding against the schemas (`fieldValidation=Strict|Warn|Ignore`)
and the per-kind rules of the apiserver that clients depend on (required fields, value ranges, immutable
fields), each reported as a 422 Invalid with field causes, as `kubectl` prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubegenie.domain import quantity
from kubegenie.sandbox import status
from kubegenie.domain.names import dns1123_label_errors
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.selectors import selector_from_match
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

Cause = tuple[str, str, str]  # (reason, field, message)
Validator = Callable[[Obj, Obj | None], list[Cause]]
_VALIDATORS: dict[str, Validator] = {}


def validator(*keys: str) -> Callable[[Validator], Validator]:
    def register(func: Validator) -> Validator:
        for key in keys:
            _VALIDATORS[key] = func
        return func

    return register


def check_fields(cluster: Cluster, rtype: ResourceType, obj: Obj, mode: str,
                 warnings: list[str] | None) -> None:
    """Unknown fields: 400 under Strict, warnings under Warn, nothing under Ignore."""
    if mode not in ("Strict", "Warn", "Ignore"):
        raise status.bad_request(f'fieldValidation parameter unsupported: "{mode}"; use one of Ignore, Warn, '
                                 f"or Strict")
    if mode == "Ignore":
        return
    group, _, version = str(obj.get("apiVersion", rtype.api_version)).rpartition("/")
    schema = cluster.schemas.for_kind(group, version, rtype.kind)
    if schema is None:
        return
    unknown = cluster.schemas.unknown_fields(schema, {k: v for k, v in obj.items()
                                                      if k not in ("apiVersion", "kind")})
    if not unknown:
        return
    texts = [f'unknown field "{path}"' for path in unknown]
    if mode == "Strict":
        raise status.bad_request(f'{rtype.kind} in version "{rtype.version}" cannot be handled as a '
                                 f"{rtype.kind}: strict decoding error: {', '.join(texts)}")
    if warnings is not None:
        warnings.extend(texts)


def validate(cluster: Cluster, rtype: ResourceType, obj: Obj, old: Obj | None) -> None:
    """Per-kind rules; raises 422 Invalid listing every broken field."""
    causes = _metadata_causes(obj)
    func = _VALIDATORS.get(rtype.storage_key)
    if func is not None:
        causes.extend(func(obj, old))
    if causes:
        raise status.invalid(rtype, str(obj.get("metadata", {}).get("name", "")), causes)


def _required(field: str) -> Cause:
    return ("FieldValueRequired", field, "Required value")


def _invalid(field: str, value: Any, why: str) -> Cause:
    shown = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
    return ("FieldValueInvalid", field, f"Invalid value: {shown}: {why}")


def _metadata_causes(obj: Obj) -> list[Cause]:
    meta = obj.get("metadata") or {}
    causes: list[Cause] = []
    for section in ("labels", "annotations"):
        values = meta.get(section)
        if values is None:
            continue
        if not isinstance(values, dict):
            causes.append(_invalid(f"metadata.{section}", str(values), "must be a map of strings"))
            continue
        for value in values.values():
            if not isinstance(value, str):
                causes.append(_invalid(f"metadata.{section}", value, "values must be strings"))
            elif section == "labels" and len(value) > 63:
                causes.append(_invalid("metadata.labels", value, "must be no more than 63 characters"))
    return causes


def _quantity_causes(resources: Any, field: str) -> list[Cause]:
    causes: list[Cause] = []
    if not isinstance(resources, dict):
        return causes
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    for name, value in requests.items():
        if name in limits:
            try:
                if quantity.parse(value) > quantity.parse(limits[name]):
                    causes.append(_invalid(f"{field}.requests", value,
                                           f"must be less than or equal to {name} limit of {limits[name]}"))
            except quantity.QuantityError:
                continue
    return causes


def pod_spec_causes(spec: Any, field: str) -> list[Cause]:
    """ValidatePodSpec, the parts clients notice."""
    if not isinstance(spec, dict):
        return [_required(field)]
    causes: list[Cause] = []
    containers = spec.get("containers")
    if not containers:
        causes.append(_required(f"{field}.containers"))
    names: set[str] = set()
    for section in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(section) or []):
            where = f"{field}.{section}[{index}]"
            if not isinstance(container, dict):
                causes.append(_invalid(where, str(container), "must be an object"))
                continue
            name = container.get("name")
            if not name:
                causes.append(_required(f"{where}.name"))
            elif dns1123_label_errors(str(name)):
                causes.append(_invalid(f"{where}.name", name, dns1123_label_errors(str(name))[0]))
            elif name in names:
                causes.append(("FieldValueDuplicate", f"{where}.name", f'Duplicate value: "{name}"'))
            else:
                names.add(str(name))
            if not container.get("image"):
                causes.append(_required(f"{where}.image"))
            causes.extend(_quantity_causes(container.get("resources"), f"{where}.resources"))
    policy = spec.get("restartPolicy", "Always")
    if policy not in ("Always", "OnFailure", "Never"):
        causes.append(("FieldValueNotSupported", f"{field}.restartPolicy",
                       f'Unsupported value: "{policy}": supported values: "Always", "OnFailure", "Never"'))
    return causes


def _selector_causes(spec: Obj, template_labels: dict[str, str] | None) -> list[Cause]:
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return [_required("spec.selector")]
    if template_labels is not None:
        parsed = selector_from_match(selector.get("matchLabels"), selector.get("matchExpressions"))
        if not parsed.matches(template_labels):
            return [_invalid("spec.template.metadata.labels", template_labels,
                             "`selector` does not match template `labels`")]
    return []


def _replicas_causes(spec: Obj) -> list[Cause]:
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        return [_invalid("spec.replicas", replicas, "must be greater than or equal to 0")]
    return []


def _immutable_selector(obj: Obj, old: Obj | None) -> list[Cause]:
    if old is None:
        return []
    before, after = (old.get("spec") or {}).get("selector"), (obj.get("spec") or {}).get("selector")
    if before != after:
        return [("FieldValueInvalid", "spec.selector",
                 f"Invalid value: {_selector_text(after)}: field is immutable")]
    return []


def _selector_text(selector: Any) -> str:
    if not isinstance(selector, dict):
        return "null"
    labels = selector.get("matchLabels") or {}
    inner = ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items()))
    return (f"v1.LabelSelector{{MatchLabels:map[string]string{{{inner}}}, "
            f"MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}")


@validator("pods")
def _pod(obj: Obj, old: Obj | None) -> list[Cause]:
    causes = pod_spec_causes(obj.get("spec"), "spec")
    if old is not None:
        old_spec, new_spec = old.get("spec") or {}, obj.get("spec") or {}
        mutable = {"activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "schedulingGates"}
        changed = {key for key in set(old_spec) | set(new_spec)
                   if key not in mutable and old_spec.get(key) != new_spec.get(key)
                   and key not in ("containers", "initContainers", "nodeName")}
        images_only = all(
            {k: v for k, v in (a or {}).items() if k != "image"} == {k: v for k, v in (b or {}).items()
                                                                      if k != "image"}
            for a, b in zip(old_spec.get("containers") or [], new_spec.get("containers") or [], strict=False)
        ) and len(old_spec.get("containers") or []) == len(new_spec.get("containers") or [])
        node_set = old_spec.get("nodeName") in (None, "", new_spec.get("nodeName"))
        if changed or not images_only or not node_set:
            causes.append(("FieldValueForbidden", "spec",
                           "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                           "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
                           "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
                           "(allow it to be set to 1 if it was previously negative)"))
    return causes


def _workload(obj: Obj, old: Obj | None, needs_template: bool = True) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [_required("spec")]
    template = spec.get("template") if isinstance(spec.get("template"), dict) else None
    labels = ((template or {}).get("metadata") or {}).get("labels")
    causes = _replicas_causes(spec) + _selector_causes(spec, labels if isinstance(labels, dict) else {})
    if needs_template:
        if template is None:
            causes.append(_required("spec.template"))
        else:
            causes.extend(pod_spec_causes(template.get("spec"), "spec.template.spec"))
    return causes + _immutable_selector(obj, old)


@validator("apps/deployments")
def _deployment(obj: Obj, old: Obj | None) -> list[Cause]:
    causes = _workload(obj, old)
    policy = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("restartPolicy", "Always")
    if policy != "Always":
        causes.append(("FieldValueNotSupported", "spec.template.spec.restartPolicy",
                       f'Unsupported value: "{policy}": supported values: "Always"'))
    return causes


@validator("apps/replicasets", "apps/daemonsets")
def _replicaset(obj: Obj, old: Obj | None) -> list[Cause]:
    return _workload(obj, old)


@validator("apps/statefulsets")
def _statefulset(obj: Obj, old: Obj | None) -> list[Cause]:
    return _workload(obj, old)


@validator("batch/jobs")
def _job(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [_required("spec")]
    template = spec.get("template")
    if not isinstance(template, dict):
        return [_required("spec.template")]
    causes = pod_spec_causes(template.get("spec"), "spec.template.spec")
    policy = (template.get("spec") or {}).get("restartPolicy")
    if policy not in ("OnFailure", "Never"):
        causes.append(("FieldValueRequired", "spec.template.spec.restartPolicy",
                       'Required value: valid values: "OnFailure", "Never"'))
    for field in ("parallelism", "completions", "backoffLimit"):
        value = spec.get(field)
        if value is not None and (not isinstance(value, int) or value < 0):
            causes.append(_invalid(f"spec.{field}", value, "must be greater than or equal to 0"))
    if old is not None and (old.get("spec") or {}).get("template") != template:
        causes.append(("FieldValueInvalid", "spec.template", "Invalid value: ...: field is immutable"))
    return causes


@validator("batch/cronjobs")
def _cronjob(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [_required("spec")]
    causes: list[Cause] = []
    if not spec.get("schedule"):
        causes.append(_required("spec.schedule"))
    job_spec = (spec.get("jobTemplate") or {}).get("spec")
    template = (job_spec or {}).get("template") if isinstance(job_spec, dict) else None
    if not isinstance(template, dict):
        causes.append(_required("spec.jobTemplate.spec.template"))
    else:
        causes.extend(pod_spec_causes(template.get("spec"), "spec.jobTemplate.spec.template.spec"))
    return causes


@validator("services")
def _service(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    service_type = spec.get("type", "ClusterIP")
    if service_type not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        causes.append(("FieldValueNotSupported", "spec.type",
                       f'Unsupported value: "{service_type}": supported values: "ClusterIP", "ExternalName", '
                       f'"LoadBalancer", "NodePort"'))
    ports = spec.get("ports") or []
    if not ports and service_type != "ExternalName" and spec.get("clusterIP") != "None":
        causes.append(_required("spec.ports"))
    for index, port in enumerate(ports):
        number = port.get("port") if isinstance(port, dict) else None
        if not isinstance(number, int) or not 1 <= number <= 65535:
            causes.append(_invalid(f"spec.ports[{index}].port", number, "must be between 1 and 65535, inclusive"))
    if old is not None:
        before = (old.get("spec") or {}).get("clusterIP")
        if before and spec.get("clusterIP") not in (None, "", before):
            causes.append(("FieldValueInvalid", "spec.clusterIPs[0]",
                           f"Invalid value: []string{{\"{spec.get('clusterIP')}\"}}: may not change once set"))
    return causes


@validator("configmaps", "secrets")
def _configmap(obj: Obj, old: Obj | None) -> list[Cause]:
    causes: list[Cause] = []
    for section in ("data", "binaryData"):
        values = obj.get(section)
        if values is None:
            continue
        if not isinstance(values, dict):
            causes.append(_invalid(section, str(values), "must be a map"))
            continue
        for key in values:
            if not key or any(not (c.isalnum() or c in "-._") for c in key):
                causes.append(_invalid(f"{section}[{key}]", key, "a valid config key must consist of "
                                       "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
                                       "'KEY_NAME',  or 'key-name', regex used for validation is "
                                       "'[-._a-zA-Z0-9]+')"))
    if old is not None and old.get("immutable") and (obj.get("data") != old.get("data")
                                                     or obj.get("binaryData") != old.get("binaryData")):
        causes.append(("FieldValueForbidden", "data", "Forbidden: field is immutable when `immutable` is set"))
    return causes


@validator("autoscaling/horizontalpodautoscalers")
def _hpa(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    ref = spec.get("scaleTargetRef")
    if not isinstance(ref, dict) or not ref.get("kind") or not ref.get("name"):
        causes.append(_required("spec.scaleTargetRef"))
    max_replicas = spec.get("maxReplicas")
    if not isinstance(max_replicas, int) or max_replicas < 1:
        causes.append(_invalid("spec.maxReplicas", max_replicas, "must be greater than or equal to 1"))
    min_replicas = spec.get("minReplicas")
    if isinstance(min_replicas, int) and isinstance(max_replicas, int) and min_replicas > max_replicas:
        causes.append(_invalid("spec.maxReplicas", max_replicas, "must be greater than or equal to `minReplicas`"))
    return causes


@validator("policy/poddisruptionbudgets")
def _pdb(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        return [("FieldValueInvalid", "spec",
                 "Invalid value: ...: minAvailable and maxUnavailable cannot be both set")]
    return []


@validator("rbac.authorization.k8s.io/roles", "rbac.authorization.k8s.io/clusterroles")
def _role(obj: Obj, old: Obj | None) -> list[Cause]:
    causes: list[Cause] = []
    for index, rule in enumerate(obj.get("rules") or []):
        if not isinstance(rule, dict) or not rule.get("verbs"):
            causes.append(_required(f"rules[{index}].verbs"))
    return causes


@validator("rbac.authorization.k8s.io/rolebindings", "rbac.authorization.k8s.io/clusterrolebindings")
def _binding(obj: Obj, old: Obj | None) -> list[Cause]:
    ref = obj.get("roleRef")
    if not isinstance(ref, dict) or not ref.get("name") or not ref.get("kind"):
        return [_required("roleRef")]
    if old is not None and old.get("roleRef") != ref:
        return [("FieldValueInvalid", "roleRef", f"Invalid value: {ref}: cannot change roleRef")]
    return []
