"""What a kubelet reads from the API before it can run a pod, and the errors it reports when something is
missing: ConfigMaps and Secrets its volumes mount (`configmap "x" not found`, the projected volume's errors
aggregated) and those its containers' environment refers to (`couldn't find key k in Secret ns/x`), in the
order the kubelet resolves them. Retrying and reporting are the kubelet's job; this module only looks.
"""

from __future__ import annotations

from kubegenie.sandbox.store import Obj, Store

_KINDS = {"configMap": ("configmaps", "configmap", "ConfigMap"), "secret": ("secrets", "secret", "Secret")}
"""Volume or reference field -> (storage key, the kubelet's resource name, the kind its messages name)."""


def _keys(obj: Obj) -> set[str]:
    return set(obj.get("data") or {}) | set(obj.get("binaryData") or {})


def _source_error(store: Store, namespace: str, field: str, source: Obj) -> str | None:
    """Why a configMap or secret volume source (or projection) cannot be set up, if it cannot."""
    storage_key, resource, _ = _KINDS[field]
    name = str(source.get("secretName" if field == "secret" and "secretName" in source else "name") or "")
    optional = bool(source.get("optional"))
    found = store.get(storage_key, namespace, name)
    if found is None:
        return None if optional else f'{resource} "{name}" not found'
    present = _keys(found)
    for item in source.get("items") or []:
        key = str(item.get("key", ""))
        if key not in present and not optional:
            return f"configmap references non-existent config key: {key}" if field == "configMap" \
                else f"references non-existent secret key: {key}"
    return None


def volume_errors(store: Store, pod: Obj) -> dict[str, str]:
    """Volume name -> why `MountVolume.SetUp` fails for it now (volumes that can be set up are left out)."""
    namespace = pod["metadata"]["namespace"]
    errors: dict[str, str] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = str(volume.get("name", ""))
        for field in _KINDS:
            source = volume.get(field)
            if isinstance(source, dict):
                error = _source_error(store, namespace, field, source)
                if error:
                    errors[name] = error
        projected = volume.get("projected")
        if isinstance(projected, dict):
            found = [error for source in projected.get("sources") or [] for field in _KINDS
                     if isinstance(source.get(field), dict)
                     and (error := _source_error(store, namespace, field, source[field])) is not None]
            if found:
                # utilerrors.NewAggregate: one error reads as itself, several as a bracketed list.
                errors[name] = found[0] if len(found) == 1 else f"[{', '.join(found)}]"
    return errors


def env_error(store: Store, namespace: str, container: Obj) -> str | None:
    """Why the kubelet cannot build `container`'s environment (envFrom first, then env, in order)."""
    for source in container.get("envFrom") or []:
        for field, ref_field in (("configMap", "configMapRef"), ("secret", "secretRef")):
            ref = source.get(ref_field)
            if isinstance(ref, dict):
                storage_key, resource, _ = _KINDS[field]
                name = str(ref.get("name", ""))
                if store.get(storage_key, namespace, name) is None and not ref.get("optional"):
                    return f'{resource} "{name}" not found'
    for env in container.get("env") or []:
        value_from = env.get("valueFrom") or {}
        for field, ref_field in (("configMap", "configMapKeyRef"), ("secret", "secretKeyRef")):
            ref = value_from.get(ref_field)
            if not isinstance(ref, dict):
                continue
            storage_key, resource, kind = _KINDS[field]
            name, key, optional = str(ref.get("name", "")), str(ref.get("key", "")), bool(ref.get("optional"))
            found = store.get(storage_key, namespace, name)
            if found is None:
                if not optional:
                    return f'{resource} "{name}" not found'
            elif key not in _keys(found) and not optional:
                return f"couldn't find key {key} in {kind} {namespace}/{name}"
    return None
