"""The apiextensions rules for CustomResourceDefinition objects (ValidateCustomResourceDefinition and its
update variant): the name is `<plural>.<group>`, group, scope, versions (one storage version, DNS-1035 names,
a schema each), names, immutable group/plural (and scope/kind once established), stored versions that stay
declared. Registered with `validation.validator`; what a CRD serves lives in `crds.py`.
"""

from __future__ import annotations

import re
from typing import Any

from kubegenie.sandbox.store import Obj
from kubegenie.sandbox.validation import Cause, invalid_cause, required_cause, validator

_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _dns1035_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _DNS1035.match(value):
        errors.append("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                      "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
                      "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
    return errors


def _versions_text(versions: list[Any]) -> str:
    """A CRD's versions the way Go's %#v shows the slice in a field error, reduced to the fields that matter."""
    shown = ", ".join(
        f'apiextensions.CustomResourceDefinitionVersion{{Name:"{v.get("name", "")}", '
        f'Served:{str(bool(v.get("served"))).lower()}, Storage:{str(bool(v.get("storage"))).lower()}}}'
        for v in versions if isinstance(v, dict))
    return f"[]apiextensions.CustomResourceDefinitionVersion{{{shown}}}"


def _crd_names_causes(names: Obj, field: str) -> list[Cause]:
    causes: list[Cause] = []
    for key in ("plural", "singular"):
        value = str(names.get(key) or "")
        if value and _dns1035_errors(value):
            causes.append(invalid_cause(f"{field}.{key}", value, ",".join(_dns1035_errors(value))))
    for key in ("kind", "listKind"):
        value = str(names.get(key) or "")
        if value and _dns1035_errors(value.lower()):
            causes.append(invalid_cause(f"{field}.{key}", value, "may have mixed case, but should otherwise match: "
                                        + ",".join(_dns1035_errors(value.lower()))))
    for key in ("shortNames", "categories"):
        for index, value in enumerate(names.get(key) or []):
            if _dns1035_errors(str(value)):
                causes.append(invalid_cause(f"{field}.{key}[{index}]", str(value),
                                            ",".join(_dns1035_errors(str(value)))))
    if names.get("kind") and names.get("kind") == names.get("listKind"):
        causes.append(invalid_cause(f"{field}.listKind", names["listKind"], "kind and listKind may not be the same"))
    return causes


@validator("apiextensions.k8s.io/customresourcedefinitions")
def _crd(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    assert isinstance(names, dict)
    group, plural = str(spec.get("group") or ""), str(names.get("plural") or "")
    causes: list[Cause] = []
    name = str((obj.get("metadata") or {}).get("name", ""))
    if name != f"{plural}.{group}":
        causes.append(invalid_cause("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    if not group:
        causes.append(required_cause("spec.group"))
    elif not _DNS1123_SUBDOMAIN.match(group):
        causes.append(invalid_cause("spec.group", group, "a lowercase RFC 1123 subdomain must consist of lower case "
                                    "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                                    "character (e.g. 'example.com', regex used for validation is "
                                    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"))
    elif "." not in group:
        causes.append(invalid_cause("spec.group", group, "should be a domain with at least one dot"))
    scope = spec.get("scope")
    if not scope:
        causes.append(required_cause("spec.scope"))
    elif scope not in ("Cluster", "Namespaced"):
        causes.append(("FieldValueNotSupported", "spec.scope",
                       f'Unsupported value: "{scope}": supported values: "Cluster", "Namespaced"'))
    versions = spec.get("versions") if isinstance(spec.get("versions"), list) else []
    assert isinstance(versions, list)
    seen: set[str] = set()
    duplicated = False
    for index, version in enumerate(versions):
        version_name = str((version or {}).get("name") or "")
        if version_name in seen:
            duplicated = True
        seen.add(version_name)
        if _dns1035_errors(version_name):
            causes.append(invalid_cause(f"spec.versions[{index}].name", version_name,
                                        ",".join(_dns1035_errors(version_name))))
        schema = ((version or {}).get("schema") or {}).get("openAPIV3Schema")
        if not isinstance(schema, dict):
            causes.append(("FieldValueRequired", f"spec.versions[{index}].schema.openAPIV3Schema",
                           "Required value: schemas are required"))
    if duplicated:
        causes.append(("FieldValueInvalid", "spec.versions",
                       f"Invalid value: {_versions_text(versions)}: must contain unique version names"))
    if sum(1 for v in versions if isinstance(v, dict) and v.get("storage")) != 1:
        causes.append(("FieldValueInvalid", "spec.versions", f"Invalid value: {_versions_text(versions)}: must "
                                                             f"have exactly one version marked as storage version"))
    for key in ("plural", "singular", "kind", "listKind"):
        if not names.get(key):
            causes.append(required_cause(f"spec.names.{key}"))
    causes.extend(_crd_names_causes(names, "spec.names"))
    if old is not None:
        causes.extend(_crd_update_causes(obj, old, spec, versions))
    return causes


def _crd_update_causes(obj: Obj, old: Obj, spec: Obj, versions: list[Any]) -> list[Cause]:
    causes: list[Cause] = []
    old_spec = old.get("spec") or {}
    established = any(c.get("type") == "Established" and c.get("status") == "True"
                      for c in (old.get("status") or {}).get("conditions") or [])
    immutable = [("spec.group", spec.get("group"), old_spec.get("group")),
                 ("spec.names.plural", (spec.get("names") or {}).get("plural"),
                  (old_spec.get("names") or {}).get("plural"))]
    if established:
        immutable += [("spec.scope", spec.get("scope"), old_spec.get("scope")),
                      ("spec.names.kind", (spec.get("names") or {}).get("kind"),
                       (old_spec.get("names") or {}).get("kind"))]
    for field, new_value, old_value in immutable:
        if new_value != old_value:
            causes.append(invalid_cause(field, new_value, "field is immutable"))
    declared = {str((v or {}).get("name")) for v in versions}
    for index, stored in enumerate((obj.get("status") or {}).get("storedVersions") or []):
        if stored not in declared:
            causes.append(invalid_cause(f"status.storedVersions[{index}]", stored, "must appear in spec.versions"))
    return causes
