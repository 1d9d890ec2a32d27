"""The structural-schema algorithms apiextensions-apiserver runs on every custom resource write: pruning of
fields the schema does not declare, defaulting from `default:` values, dropping of non-nullable nulls, value
validation of the OpenAPI v3 subset CRDs use (type, required, enum, bounds, lengths, patterns, list types,
anyOf/allOf/oneOf/not) and the x-kubernetes-validations CEL rules, with the apiserver's field-error texts.

It works on plain JSON data and a CRD's `openAPIV3Schema`; it knows nothing of HTTP or the store.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from kubegenie.sandbox import cel

Schema = dict[str, Any]
Cause = tuple[str, str, str]  # (reason, field, message)

_META_FIELDS = ("apiVersion", "kind", "metadata")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _embedded(schema: Schema) -> bool:
    return bool(schema.get("x-kubernetes-embedded-resource"))


# --- pruning -----------------------------------------------------------------------------------------

def prune(schema: Schema | None, value: Any, path: str = "", root: bool = True) -> list[str]:
    """Remove from `value` (in place) every field `schema` does not declare; returns their paths.

    At the root and in embedded resources apiVersion, kind and metadata are kept, as upstream does.
    """
    pruned: list[str] = []
    _prune(schema or {}, value, path, root, pruned)
    return pruned


def _prune(schema: Schema, value: Any, path: str, keep_meta: bool, pruned: list[str]) -> None:
    keep_meta = keep_meta or _embedded(schema)
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        for key in list(value):
            if keep_meta and key in _META_FIELDS:
                continue
            child_path = _join(path, key)
            if key in properties:
                _prune(properties[key], value[key], child_path, False, pruned)
            elif isinstance(additional, dict):
                _prune(additional, value[key], child_path, False, pruned)
            elif additional is True or preserve:
                continue
            else:
                del value[key]
                pruned.append(child_path)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                _prune(items, item, f"{path}[{index}]", False, pruned)


# --- defaulting --------------------------------------------------------------------------------------

def apply_defaults(schema: Schema | None, value: Any) -> None:
    """Fill absent fields (and non-nullable nulls) from `default:` values, recursively, in place."""
    if not schema:
        return
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, prop in properties.items():
            if "default" in prop and (key not in value or _non_nullable_null(value[key], prop)):
                value[key] = copy.deepcopy(prop["default"])
        additional = schema.get("additionalProperties")
        for key, item in list(value.items()):
            if key in properties:
                apply_defaults(properties[key], item)
            elif isinstance(additional, dict):
                if "default" in additional and _non_nullable_null(item, additional):
                    value[key] = copy.deepcopy(additional["default"])
                apply_defaults(additional, value[key])
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                if "default" in items and _non_nullable_null(item, items):
                    value[index] = copy.deepcopy(items["default"])
                apply_defaults(items, value[index])


def _non_nullable_null(value: Any, schema: Schema) -> bool:
    return value is None and not schema.get("nullable")


def drop_nulls(schema: Schema | None, value: Any) -> None:
    """Remove null object fields whose schema is neither nullable nor defaulted (upstream's
    PruneNonNullableNullsWithoutDefaults), so `field: null` reads as an absent field."""
    if not schema:
        return
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        for key in list(value):
            prop = properties.get(key, additional if isinstance(additional, dict) else None)
            if prop is None:
                continue
            if value[key] is None and not prop.get("nullable") and "default" not in prop:
                del value[key]
            else:
                drop_nulls(prop, value[key])
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for item in value:
                drop_nulls(items, item)


# --- value validation --------------------------------------------------------------------------------

def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, as the apiserver's errors spell it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shown(value: Any) -> str:
    """A value as Go's %#v prints it in field errors: strings quoted, numbers and booleans bare."""
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _invalid(path: str, value: Any, why: str) -> Cause:
    return ("FieldValueInvalid", path, f"Invalid value: {shown(value)}: {why}")


def validate(schema: Schema | None, value: Any, path: str = "", old: Any = None) -> list[Cause]:
    """Every way `value` breaks `schema`, as (reason, field, message) causes of a 422: the OpenAPI value
    validations first, then the CEL rules (transition rules only when `old`, the stored value, exists)."""
    if not schema:
        return []
    return list(_validate(schema, value, path)) + list(_rules(schema, value, old, path))


def _type_ok(expected: str, value: Any) -> bool:
    actual = json_type(value)
    if expected == "number":
        return actual in ("integer", "number")
    return actual == expected


def _validate(schema: Schema, value: Any, path: str) -> Iterator[Cause]:
    if value is None and schema.get("nullable"):
        return
    expected = schema.get("type")
    int_or_string = bool(schema.get("x-kubernetes-int-or-string"))
    type_ok = True
    if int_or_string:
        type_ok = json_type(value) in ("integer", "string")
        if not type_ok:
            yield _invalid(path, json_type(value),
                           f"{path} in body must be of type integer,string: {shown(json_type(value))}")
    elif isinstance(expected, str) and expected:
        type_ok = _type_ok(expected, value)
        if not type_ok:
            yield _invalid(path, json_type(value),
                           f"{path} in body must be of type {expected}: {shown(json_type(value))}")
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        supported = ", ".join(orjson.dumps(item if isinstance(item, str) else shown(item)).decode()
                              for item in enum)
        yield ("FieldValueNotSupported", path, f"Unsupported value: {shown(value)}: supported values: {supported}")
    if type_ok:
        if isinstance(value, str):
            yield from _string(schema, value, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield from _number(schema, value, path)
        elif isinstance(value, list):
            yield from _array(schema, value, path)
        elif isinstance(value, dict):
            yield from _object(schema, value, path)
    yield from _combinators(schema, value, path)


def _string(schema: Schema, value: str, path: str) -> Iterator[Cause]:
    max_length = schema.get("maxLength")
    if isinstance(max_length, int) and len(value) > max_length:
        yield ("FieldValueTooLong", path, f"Too long: may not be more than {max_length} bytes")
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and len(value) < min_length:
        yield _invalid(path, value, f"{path} in body should be at least {min_length} chars long")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            matched = re.search(pattern, value) is not None
        except re.error:
            matched = True  # Go's RE2 syntax Python cannot compile: nothing to check it with.
        if not matched:
            yield _invalid(path, value, f"{path} in body should match '{pattern}'")
    if schema.get("format") == "date-time" and not _is_datetime(value):
        yield _invalid(path, value, f"{path} in body must be of type date-time: {shown(value)}")


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _number(schema: Schema, value: float, path: str) -> Iterator[Cause]:
    minimum = schema.get("minimum")
    if isinstance(minimum, int | float):
        if schema.get("exclusiveMinimum") and value <= minimum:
            yield _invalid(path, value, f"{path} in body should be greater than {shown(minimum)}")
        elif value < minimum:
            yield _invalid(path, value, f"{path} in body should be greater than or equal to {shown(minimum)}")
    maximum = schema.get("maximum")
    if isinstance(maximum, int | float):
        if schema.get("exclusiveMaximum") and value >= maximum:
            yield _invalid(path, value, f"{path} in body should be less than {shown(maximum)}")
        elif value > maximum:
            yield _invalid(path, value, f"{path} in body should be less than or equal to {shown(maximum)}")
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int | float) and multiple and (value / multiple) % 1:
        yield _invalid(path, value, f"{path} in body should be a multiple of {shown(multiple)}")


def _array(schema: Schema, value: list[Any], path: str) -> Iterator[Cause]:
    max_items = schema.get("maxItems")
    if isinstance(max_items, int) and len(value) > max_items:
        yield ("FieldValueTooMany", path, f"Too many: {len(value)}: must have at most {max_items} items")
    min_items = schema.get("minItems")
    if isinstance(min_items, int) and len(value) < min_items:
        yield _invalid(path, len(value), f"{path} in body should have at least {min_items} items")
    list_type = schema.get("x-kubernetes-list-type")
    if list_type in ("set", "map"):
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen: set[bytes] = set()
        for index, item in enumerate(value):
            identity = item if list_type == "set" or not isinstance(item, dict) \
                else {key: item.get(key) for key in keys}
            encoded = orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)
            if encoded in seen:
                yield ("FieldValueDuplicate", f"{path}[{index}]", f"Duplicate value: {shown(identity)}")
            seen.add(encoded)
    items = schema.get("items")
    if isinstance(items, dict):
        for index, item in enumerate(value):
            yield from _validate(items, item, f"{path}[{index}]")


def _object(schema: Schema, value: dict[str, Any], path: str) -> Iterator[Cause]:
    for key in schema.get("required") or []:
        if key not in value:
            yield ("FieldValueRequired", _join(path, key), "Required value")
    max_properties = schema.get("maxProperties")
    if isinstance(max_properties, int) and len(value) > max_properties:
        yield ("FieldValueTooMany", path, f"Too many: {len(value)}: must have at most {max_properties} items")
    min_properties = schema.get("minProperties")
    if isinstance(min_properties, int) and len(value) < min_properties:
        yield _invalid(path, len(value), f"{path} in body should have at least {min_properties} properties")
    properties = schema.get("properties") or {}
    additional = schema.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            yield from _validate(properties[key], item, _join(path, key))
        elif isinstance(additional, dict):
            yield from _validate(additional, item, _join(path, key))


def _combinators(schema: Schema, value: Any, path: str) -> Iterator[Cause]:
    name = path or "root"
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and all_of:
        failures = [causes for sub in all_of if (causes := validate(sub, value, path))]
        if failures:
            suffix = ". None validated" if len(failures) == len(all_of) else ""
            yield ("FieldValueInvalid", "<nil>",
                   f'Invalid value: "": "{name}" must validate all the schemas (allOf){suffix}')
            yield from failures[0]
    any_of = schema.get("anyOf")
    if isinstance(any_of, list) and any_of:
        results = [validate(sub, value, path) for sub in any_of]
        if all(results):
            yield ("FieldValueInvalid", "<nil>", f'Invalid value: "": "{name}" must validate at least one schema '
                                                 f"(anyOf)")
            yield from results[0]
    one_of = schema.get("oneOf")
    if isinstance(one_of, list) and one_of:
        passing = sum(1 for sub in one_of if not validate(sub, value, path))
        if passing != 1:
            yield ("FieldValueInvalid", "<nil>", f'Invalid value: "": "{name}" must validate one and only one '
                                                 f"schema (oneOf)")
    negated = schema.get("not")
    if isinstance(negated, dict) and not validate(negated, value, path):
        yield ("FieldValueInvalid", "<nil>", f'Invalid value: "": "{name}" must not validate the schema (not)')


# --- x-kubernetes-validations (CEL) -----------------------------------------------------------------------

def _rules(schema: Schema, value: Any, old: Any, path: str) -> Iterator[Cause]:
    if value is None:
        return
    for rule in schema.get("x-kubernetes-validations") or []:
        if isinstance(rule, dict) and isinstance(rule.get("rule"), str):
            cause = _rule_cause(rule, schema, value, old, path)
            if cause is not None:
                yield cause
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        old_map = old if isinstance(old, dict) else {}
        for key, item in value.items():
            sub = properties.get(key, additional if isinstance(additional, dict) else None)
            if sub is not None:
                yield from _rules(sub, item, old_map.get(key), _join(path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _rules(schema["items"], item, _correlated_item(schema, item, old), f"{path}[{index}]")


def _correlated_item(schema: Schema, item: Any, old: Any) -> Any:
    """The old element a new list element corresponds to: only map-type lists correlate, by their keys."""
    keys = schema.get("x-kubernetes-list-map-keys") or []
    if schema.get("x-kubernetes-list-type") != "map" or not keys or not isinstance(old, list) \
            or not isinstance(item, dict):
        return None
    identity = [item.get(key) for key in keys]
    return next((candidate for candidate in old if isinstance(candidate, dict)
                 and [candidate.get(key) for key in keys] == identity), None)


def _rule_cause(rule: Schema, schema: Schema, value: Any, old: Any, path: str) -> Cause | None:
    """The cause of a failed rule; rules that cannot be evaluated here (or transition rules on create) pass."""
    try:
        program = cel.compile_rule(rule["rule"])
        if program.uses_old_self and old is None and not rule.get("optionalOldSelf"):
            return None
        variables = {"self": value, "oldSelf": old}
        if program.evaluate(variables) is not False:
            return None
    except cel.CELError:
        return None
    message = str(rule.get("message") or f"failed rule: {rule['rule']}")
    if rule.get("messageExpression"):
        try:
            evaluated = cel.compile_rule(str(rule["messageExpression"])).evaluate(variables)
            if isinstance(evaluated, str) and evaluated.strip():
                message = evaluated
        except cel.CELError:
            pass
    where = path + str(rule.get("fieldPath") or "") if path else str(rule.get("fieldPath") or "").lstrip(".")
    shown_type = str(schema.get("type") or json_type(value))
    reason = rule.get("reason")
    if reason == "FieldValueForbidden":
        return ("FieldValueForbidden", where, f"Forbidden: {message}")
    if reason == "FieldValueRequired":
        return ("FieldValueRequired", where, f"Required value: {message}")
    if reason == "FieldValueDuplicate":
        return ("FieldValueDuplicate", where, f"Duplicate value: {shown(shown_type)}")
    return ("FieldValueInvalid", where, f"Invalid value: {shown(shown_type)}: {message}")


# --- navigation --------------------------------------------------------------------------------------

def at_path(schema: Schema | None, dotted: str) -> Schema | None:
    """The sub-schema at a dotted field path such as `.spec.replicas` (None when undeclared)."""
    node = schema
    for part in [p for p in dotted.strip(".").split(".") if p]:
        if node is None:
            return None
        properties = node.get("properties") or {}
        node = properties.get(part)
    return node
