"""Validation of writes: decode-time handling of undeclared fields (`fieldValidation=Strict|Warn|Ignore`,
pruning, and for custom resources the CRD schema's defaults), then the per-kind rules of the apiserver that
clients depend on (required fields, value ranges, immutable fields, a CRD's OpenAPI and CEL rules), each
reported as a 422 Invalid with field causes, as `kubectl` prints them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from kubegenie.domain import quantity
from kubegenie.domain.names import dns1123_label_errors
from kubegenie.sandbox import conversions, crdschema, status
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.selectors import selector_from_match
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

Cause = tuple[str, str, str]  # (reason, field, message)
Validator = Callable[[Obj, Obj | None], list[Cause]]
VersionedValidator = Callable[[Obj, Obj | None, int], list[Cause]]
"""A rule whose text or scope changed between Kubernetes minors; it is given the cluster's minor version."""
_VALIDATORS: dict[str, Validator] = {}
_VERSIONED: dict[str, VersionedValidator] = {}


def validator(*keys: str) -> Callable[[Validator], Validator]:
    def register(func: Validator) -> Validator:
        for key in keys:
            _VALIDATORS[key] = func
        return func

    return register


def versioned_validator(*keys: str) -> Callable[[VersionedValidator], VersionedValidator]:
    def register(func: VersionedValidator) -> VersionedValidator:
        for key in keys:
            _VERSIONED[key] = func
        return func

    return register


def check_fields(cluster: Cluster, rtype: ResourceType, obj: Obj, mode: str,
                 warnings: list[str] | None) -> None:
    """Decode-time handling of fields the schema does not declare: they are always dropped from `obj` (in
    place), and reported as a 400 under Strict, as warnings under Warn, not at all under Ignore. Custom
    resources are also defaulted here, from their CRD's schema, as the apiserver's decoder does."""
    if mode not in ("Strict", "Warn", "Ignore"):
        raise status.bad_request(f'fieldValidation parameter unsupported: "{mode}"; use one of Ignore, Warn, '
                                 f"or Strict")
    if rtype.custom:
        unknown = _custom_fields(cluster, rtype, obj)
    else:
        group, _, version = str(obj.get("apiVersion", rtype.api_version)).rpartition("/")
        schema = cluster.schemas.for_kind(group, version, rtype.kind)
        if schema is None:
            return
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        unknown = cluster.schemas.unknown_fields(schema, body, drop=True)
        for key in [key for key in obj if key not in ("apiVersion", "kind") and key not in body]:
            del obj[key]
    if not unknown or mode == "Ignore":
        return
    texts = [f'unknown field "{path}"' for path in unknown]
    if mode == "Strict":
        raise status.bad_request(f'{rtype.kind} in version "{rtype.version}" cannot be handled as a '
                                 f"{rtype.kind}: strict decoding error: {', '.join(texts)}")
    if warnings is not None:
        warnings.extend(texts)


def _custom_fields(cluster: Cluster, rtype: ResourceType, obj: Obj) -> list[str]:
    """Prune by the requested version's schema (what is reported), then by the storage version's (silently,
    as conversion does), and fill defaults of both. Paths come sorted, as the apiserver sorts them."""
    schemas = cluster.schemas
    served = schemas.custom.get((rtype.group, rtype.version, rtype.kind))
    unknown: list[str] = []
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        unknown.extend(schemas.unknown_fields(schemas.object_meta, meta, "metadata", drop=True))
    if served is None:
        return sorted(unknown)
    for key in [key for key in obj if key != "metadata"]:
        # A patched object shares unpatched subtrees with the stored one, which must not change in place.
        obj[key] = copy.deepcopy(obj[key])
    unknown.extend(crdschema.prune(served, obj))
    crdschema.drop_nulls(served, obj)
    crdschema.apply_defaults(served, obj)
    stored_as = conversions.storage_version(cluster, rtype).rpartition("/")[2]
    stored = schemas.custom.get((rtype.group, stored_as, rtype.kind))
    if stored is not None and stored is not served:
        crdschema.prune(stored, obj)
        crdschema.drop_nulls(stored, obj)
        crdschema.apply_defaults(stored, obj)
    return sorted(unknown)


def validate(cluster: Cluster, rtype: ResourceType, obj: Obj, old: Obj | None) -> None:
    """Per-kind rules (the CRD's schema for custom resources); raises 422 Invalid listing every broken field."""
    causes = _metadata_causes(obj)
    if rtype.custom:
        if old is None and cluster.crds.terminating(rtype):
            raise status.ApiError(405, "MethodNotAllowed",
                                  "create not allowed while custom resource definition is terminating",
                                  {"group": rtype.group, "kind": rtype.plural})
        schema = cluster.schemas.custom.get((rtype.group, rtype.version, rtype.kind))
        before = {k: v for k, v in old.items() if k != "metadata"} if old is not None else None
        causes.extend(crdschema.validate(schema, {k: v for k, v in obj.items() if k != "metadata"}, old=before))
    func = _VALIDATORS.get(rtype.storage_key)
    if func is not None:
        causes.extend(func(obj, old))
    versioned = _VERSIONED.get(rtype.storage_key)
    if versioned is not None:
        causes.extend(versioned(obj, old, cluster.version.minor))
    if causes:
        raise status.invalid(rtype, str(obj.get("metadata", {}).get("name", "")), causes)


def required_cause(field: str, detail: str = "") -> Cause:
    return ("FieldValueRequired", field, f"Required value: {detail}" if detail else "Required value")


def go_value(value: Any) -> str:
    """A bad value as field errors print it (Go's %q, %v or %#v): strings quoted, maps as map literals."""
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        inner = ", ".join(f"{orjson.dumps(k).decode()}:{orjson.dumps(v).decode()}" for k, v in sorted(value.items()))
        return f"map[string]string{{{inner}}}"
    return str(value)


def invalid_cause(field: str, value: Any, why: str) -> Cause:
    return ("FieldValueInvalid", field, f"Invalid value: {go_value(value)}: {why}")


def _metadata_causes(obj: Obj) -> list[Cause]:
    meta = obj.get("metadata") or {}
    causes: list[Cause] = []
    for section in ("labels", "annotations"):
        values = meta.get(section)
        if values is None:
            continue
        if not isinstance(values, dict):
            causes.append(invalid_cause(f"metadata.{section}", str(values), "must be a map of strings"))
            continue
        for value in values.values():
            if not isinstance(value, str):
                causes.append(invalid_cause(f"metadata.{section}", value, "values must be strings"))
            elif section == "labels" and len(value) > 63:
                causes.append(invalid_cause("metadata.labels", value, "must be no more than 63 characters"))
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
                    causes.append(invalid_cause(f"{field}.requests", value,
                                                f"must be less than or equal to {name} limit of {limits[name]}"))
            except quantity.QuantityError:
                continue
    return causes


def pod_spec_causes(spec: Any, field: str, claims: tuple[str, ...] = ()) -> list[Cause]:
    """ValidatePodSpec, the parts clients notice. `claims` are volume names a StatefulSet's
    volumeClaimTemplates provide."""
    if not isinstance(spec, dict):
        return [required_cause(field)]
    causes: list[Cause] = []
    containers = spec.get("containers")
    if not containers:
        causes.append(required_cause(f"{field}.containers"))
    names: set[str] = set()
    volumes = {str(v.get("name")) for v in spec.get("volumes") or [] if isinstance(v, dict)} | set(claims)
    for section in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(section) or []):
            where = f"{field}.{section}[{index}]"
            if not isinstance(container, dict):
                causes.append(invalid_cause(where, str(container), "must be an object"))
                continue
            name = container.get("name")
            if not name:
                causes.append(required_cause(f"{where}.name"))
            elif dns1123_label_errors(str(name)):
                causes.append(invalid_cause(f"{where}.name", name, dns1123_label_errors(str(name))[0]))
            elif name in names:
                causes.append(("FieldValueDuplicate", f"{where}.name", f'Duplicate value: "{name}"'))
            else:
                names.add(str(name))
            if not container.get("image"):
                causes.append(required_cause(f"{where}.image"))
            causes.extend(_quantity_causes(container.get("resources"), f"{where}.resources"))
            causes.extend(_mount_causes(container, volumes, where))
    policy = spec.get("restartPolicy", "Always")
    if policy not in ("Always", "OnFailure", "Never"):
        causes.append(("FieldValueNotSupported", f"{field}.restartPolicy",
                       f'Unsupported value: "{policy}": supported values: "Always", "OnFailure", "Never"'))
    return causes


def _mount_causes(container: Obj, volumes: set[str], where: str) -> list[Cause]:
    causes: list[Cause] = []
    for index, mount in enumerate(container.get("volumeMounts") or []):
        name = mount.get("name") if isinstance(mount, dict) else None
        if not name:
            causes.append(required_cause(f"{where}.volumeMounts[{index}].name"))
        elif name not in volumes:
            causes.append(("FieldValueNotFound", f"{where}.volumeMounts[{index}].name", f"Not found: {go_value(name)}"))
        if isinstance(mount, dict) and not mount.get("mountPath"):
            causes.append(required_cause(f"{where}.volumeMounts[{index}].mountPath"))
    return causes


def _selector_causes(spec: Obj, template_labels: dict[str, str] | None) -> list[Cause]:
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return [required_cause("spec.selector")]
    if template_labels is not None:
        parsed = selector_from_match(selector.get("matchLabels"), selector.get("matchExpressions"))
        if not parsed.matches(template_labels):
            return [invalid_cause("spec.template.metadata.labels", template_labels,
                                  "`selector` does not match template `labels`")]
    return []


def _replicas_causes(spec: Obj) -> list[Cause]:
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        return [invalid_cause("spec.replicas", replicas, "must be greater than or equal to 0")]
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


def _workload(obj: Obj, old: Obj | None, needs_template: bool = True, claims: tuple[str, ...] = ()) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required_cause("spec")]
    template = spec.get("template") if isinstance(spec.get("template"), dict) else None
    labels = ((template or {}).get("metadata") or {}).get("labels")
    causes = _replicas_causes(spec) + _selector_causes(spec, labels if isinstance(labels, dict) else {})
    if needs_template:
        if template is None:
            causes.append(required_cause("spec.template"))
        else:
            causes.extend(pod_spec_causes(template.get("spec"), "spec.template.spec", claims))
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
    templates = (obj.get("spec") or {}).get("volumeClaimTemplates") or []
    claims = tuple(str((t.get("metadata") or {}).get("name")) for t in templates if isinstance(t, dict))
    return _workload(obj, old, claims=claims)


def _statefulset_mutable(minor: int) -> tuple[str, ...]:
    """The spec fields a StatefulSet update may change, in the order the apiserver's message lists them."""
    fields = ["replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
              "persistentVolumeClaimRetentionPolicy", "minReadySeconds"]
    if minor < 33:
        fields.remove("revisionHistoryLimit")
    if minor < 26:
        fields.remove("ordinals")
    return tuple(fields)


@versioned_validator("apps/statefulsets")
def _statefulset_update(obj: Obj, old: Obj | None, minor: int) -> list[Cause]:
    if old is None:
        return []
    mutable = _statefulset_mutable(minor)
    before = {k: v for k, v in (old.get("spec") or {}).items() if k not in mutable}
    after = {k: v for k, v in (obj.get("spec") or {}).items() if k not in mutable}
    if before == after:
        return []
    listed = ", ".join(f"'{name}'" for name in mutable[:-1]) + f" and '{mutable[-1]}'"
    return [("FieldValueForbidden", "spec",
             f"Forbidden: updates to statefulset spec for fields other than {listed} are forbidden")]


@validator("batch/jobs")
def _job(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required_cause("spec")]
    template = spec.get("template")
    if not isinstance(template, dict):
        return [required_cause("spec.template")]
    causes = pod_spec_causes(template.get("spec"), "spec.template.spec")
    policy = (template.get("spec") or {}).get("restartPolicy")
    if policy not in ("OnFailure", "Never"):
        causes.append(("FieldValueRequired", "spec.template.spec.restartPolicy",
                       'Required value: valid values: "OnFailure", "Never"'))
    for field in ("parallelism", "completions", "backoffLimit"):
        value = spec.get(field)
        if value is not None and (not isinstance(value, int) or value < 0):
            causes.append(invalid_cause(f"spec.{field}", value, "must be greater than or equal to 0"))
    if old is not None and (old.get("spec") or {}).get("template") != template:
        causes.append(("FieldValueInvalid", "spec.template", "Invalid value: ...: field is immutable"))
    return causes


@validator("batch/cronjobs")
def _cronjob(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required_cause("spec")]
    causes: list[Cause] = []
    if not spec.get("schedule"):
        causes.append(required_cause("spec.schedule"))
    deadline = spec.get("startingDeadlineSeconds")
    if isinstance(deadline, int) and deadline < 0:
        causes.append(invalid_cause("spec.startingDeadlineSeconds", deadline, "must be greater than or equal to 0"))
    job_spec = (spec.get("jobTemplate") or {}).get("spec")
    template = (job_spec or {}).get("template") if isinstance(job_spec, dict) else None
    if not isinstance(template, dict):
        causes.append(required_cause("spec.jobTemplate.spec.template"))
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
        causes.append(required_cause("spec.ports"))
    for index, port in enumerate(ports):
        number = port.get("port") if isinstance(port, dict) else None
        if not isinstance(number, int) or not 1 <= number <= 65535:
            causes.append(invalid_cause(f"spec.ports[{index}].port", number, "must be between 1 and 65535, inclusive"))
        node_port = port.get("nodePort") if isinstance(port, dict) else None
        if isinstance(node_port, int) and node_port and not 30000 <= node_port <= 32767:
            causes.append(invalid_cause(f"spec.ports[{index}].nodePort", node_port,
                                        "provided port is not in the valid range. The range of valid ports is "
                                        "30000-32767"))
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
            causes.append(invalid_cause(section, str(values), "must be a map"))
            continue
        for key in values:
            if not key or any(not (c.isalnum() or c in "-._") for c in key):
                causes.append(invalid_cause(f"{section}[{key}]", key, "a valid config key must consist of "
                                            "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
                                            "'KEY_NAME',  or 'key-name', regex used for validation is "
                                            "'[-._a-zA-Z0-9]+')"))
    if old is not None and old.get("immutable") and (obj.get("data") != old.get("data")
                                                     or obj.get("binaryData") != old.get("binaryData")):
        causes.append(("FieldValueForbidden", "data", "Forbidden: field is immutable when `immutable` is set"))
    return causes


MAX_CONFIG_SIZE = 1024 * 1024
"""core.MaxSecretSize: what the values of one ConfigMap or Secret may add up to."""


@versioned_validator("configmaps", "secrets")
def _config_size(obj: Obj, old: Obj | None, minor: int) -> list[Cause]:
    secret = obj.get("kind") == "Secret"
    total = 0
    for section in ("data",) if secret else ("data", "binaryData"):
        for value in (obj.get(section) or {}).values() if isinstance(obj.get(section), dict) else ():
            text = str(value)
            binary = secret or section == "binaryData"
            total += len(text) * 3 // 4 - text.count("=") if binary else len(text.encode())
    if total <= MAX_CONFIG_SIZE:
        return []
    # field.TooLong's wording changed in 1.32; a ConfigMap's error names the whole object ("[]").
    limit = f"must have at most {MAX_CONFIG_SIZE} bytes" if minor <= 31 else \
        f"may not be more than {MAX_CONFIG_SIZE} bytes"
    return [("FieldValueTooLong", "data" if secret else "[]", f"Too long: {limit}")]


@validator("autoscaling/horizontalpodautoscalers")
def _hpa(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    ref = spec.get("scaleTargetRef")
    if not isinstance(ref, dict) or not ref.get("kind") or not ref.get("name"):
        causes.append(required_cause("spec.scaleTargetRef"))
    max_replicas = spec.get("maxReplicas")
    if not isinstance(max_replicas, int) or max_replicas < 1:
        causes.append(invalid_cause("spec.maxReplicas", max_replicas, "must be greater than or equal to 1"))
    min_replicas = spec.get("minReplicas")
    if isinstance(min_replicas, int) and isinstance(max_replicas, int) and min_replicas > max_replicas:
        causes.append(invalid_cause("spec.maxReplicas", max_replicas, "must be greater than or equal to `minReplicas`"))
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
            causes.append(required_cause(f"rules[{index}].verbs"))
    return causes


@validator("rbac.authorization.k8s.io/rolebindings", "rbac.authorization.k8s.io/clusterrolebindings")
def _binding(obj: Obj, old: Obj | None) -> list[Cause]:
    ref = obj.get("roleRef")
    if not isinstance(ref, dict) or not ref.get("name") or not ref.get("kind"):
        return [required_cause("roleRef")]
    if old is not None and old.get("roleRef") != ref:
        return [("FieldValueInvalid", "roleRef", f"Invalid value: {ref}: cannot change roleRef")]
    return []
